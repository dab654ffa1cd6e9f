"""The FastAPI app: predictions per tabular task, forecasts per series, schema and versions.

``create_app`` takes artifacts already loaded (``roadmap_pipelines.project.deployment.
load_service`` loads them through the Kedro catalog, checking each model file's content hash
first), so the app itself knows nothing of Kedro and tests can build it from anything.
"""

# No ``from __future__ import annotations``: FastAPI reads the route functions' annotations at
# run time, and the request models are local variables it could not resolve from strings.
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import anyio
import pandas as pd
from fastapi import Body, FastAPI, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from roadmap_pipelines.ml.tabular.scoring import Scorer
from roadmap_pipelines.serving.schemas import (
    ForecastPoint,
    ForecastResponse,
    Prediction,
    PredictResponse,
    batch_type,
    record_model,
)

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown task or series"}}


@dataclass(frozen=True)
class ServiceArtifacts:
    """What the service serves.

    Attributes:
        scorers: Task name to its scorer.
        forecasters: Series id to its fitted model (``ts_models``; ``forecast(h)``).
        trained_at: Task name to the model file's modification time (ISO 8601, UTC).
        max_batch_rows: Records a predict request may hold.
        max_horizon: Periods a forecast request may ask for.
        scoring_threads: Requests scored at the same time.
    """

    scorers: dict[str, Scorer]
    forecasters: dict[str, Any] = field(default_factory=dict)
    trained_at: dict[str, str] = field(default_factory=dict)
    max_batch_rows: int = 1000
    max_horizon: int = 48
    scoring_threads: int = 1


def create_app(artifacts: ServiceArtifacts) -> FastAPI:
    """Build the app: one predict route per task (its own request model), shared routes.

    Args:
        artifacts: The loaded scorers and forecasters, and the request limits.

    Returns:
        The FastAPI application.
    """
    app = FastAPI(
        title="roadmap-pipelines prediction service",
        description="Scores raw rows with each task's training artifacts (the same "
        "validation, cleaning, features and model as training) and forecasts each series.",
        version="1",
    )
    limiter = anyio.CapacityLimiter(artifacts.scoring_threads)
    for task, scorer in artifacts.scorers.items():
        _add_predict_route(app, task, scorer, artifacts.max_batch_rows, limiter)

    @app.exception_handler(ValueError)
    async def _invalid_rows(_request: Any, error: ValueError) -> JSONResponse:
        # The scorer's checks after the request model's (a date format, a uniqueness or a
        # model input the schema does not declare): the client's data, so 422 with the reason.
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": ["body"], "msg": str(error), "type": "invalid_rows"}]},
        )

    @app.post("/tasks/{task}/predict", responses=NOT_FOUND, include_in_schema=False)
    def predict_unknown(task: str) -> None:
        raise HTTPException(404, _unknown("task", task, artifacts.scorers))

    @app.get("/tasks/{task}/schema", responses=NOT_FOUND)
    def schema(task: Annotated[str, Path(description="a configured task")]) -> dict[str, Any]:
        """The columns a record needs: dtype, nullable, range, allowed levels."""
        scorer = _scorer(artifacts.scorers, task)
        return {
            "task": task,
            "target": scorer.tabular.target,
            "problem": scorer.problem,
            "classes": [str(label) for label in scorer.version["classes"]],
            "max_batch_rows": artifacts.max_batch_rows,
            "columns": {
                name: spec.model_dump(exclude_none=True)
                for name, spec in scorer.input_columns().items()
            },
        }

    @app.get("/tasks/{task}/model", responses=NOT_FOUND)
    def model(task: Annotated[str, Path(description="a configured task")]) -> dict[str, Any]:
        """The model's version: content hash, training-data hash, metrics, training date."""
        scorer = _scorer(artifacts.scorers, task)
        return scorer.version | {"trained_at": artifacts.trained_at.get(task)}

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness, and what is loaded."""
        return {
            "status": "ok",
            "tasks": sorted(artifacts.scorers),
            "series": sorted(artifacts.forecasters),
        }

    @app.get("/series/{series_id}/forecast", responses=NOT_FOUND)
    def forecast(
        series_id: Annotated[str, Path(examples=sorted(artifacts.forecasters))],
        horizon: Annotated[int, Query(ge=1, le=artifacts.max_horizon)] = 12,
    ) -> ForecastResponse:
        """Forecast ``horizon`` periods with 80% and 95% intervals from the series' model."""
        fitted = artifacts.forecasters.get(series_id)
        if fitted is None:
            raise HTTPException(404, _unknown("series", series_id, artifacts.forecasters))
        try:
            table = fitted.forecast(horizon)
        except ValueError as error:  # e.g. beyond the horizon LightGBM intervals cover
            raise HTTPException(422, f"horizon: {error}") from None
        points = [
            ForecastPoint.model_validate(
                {
                    "timestamp": pd.Timestamp(row["timestamp"]).isoformat(),
                    **{key: _finite(row[key]) for key in table.columns if key != "timestamp"},
                }
            )
            for row in table.to_dict(orient="records")
        ]
        return ForecastResponse(
            series_id=series_id,
            model=fitted.model,
            frequency=fitted.frequency,
            horizon=horizon,
            forecast=points,
        )

    return app


def _add_predict_route(
    app: FastAPI, task: str, scorer: Scorer, max_rows: int, limiter: anyio.CapacityLimiter
) -> None:
    record = record_model(scorer)
    batch = batch_type(record, max_rows)

    # a type built at run time from the task's columns: mypy cannot check it statically
    async def predict(records: Annotated[batch, Body()]) -> PredictResponse:  # type: ignore[valid-type]
        rows = cast("list[BaseModel]", records)  # validated by the run-time ``batch`` type
        frame = pd.DataFrame([item.model_dump(by_alias=True) for item in rows])
        # Scoring holds the GIL most of the time, so parallel threads add memory (one malloc
        # arena each), not speed: requests are scored by at most `scoring_threads` threads.
        scored = await anyio.to_thread.run_sync(scorer.score, frame, limiter=limiter)
        predictions = scored.predictions
        probabilities = [c for c in predictions.columns if c.startswith("proba_")]
        return PredictResponse(
            task=task,
            model_version=scorer.version["model_version"],
            predictions=[
                Prediction.model_validate(
                    {
                        "row": int(row["row_id"]),
                        "predicted": _plain(row["predicted"]),
                        "probabilities": {
                            column.removeprefix("proba_"): float(row[column])
                            for column in probabilities
                        }
                        or None,
                    }
                )
                for row in predictions.to_dict(orient="records")
            ],
        )

    app.post(
        f"/tasks/{task}/predict",
        response_model=PredictResponse,
        summary=f"Predict {scorer.tabular.target} for {task} records",
        description=f"1 to {max_rows} raw records; each is validated, cleaned and featurised "
        "as in training, then scored.",
        operation_id=f"predict_{task}",
    )(predict)


def _scorer(scorers: dict[str, Scorer], task: str) -> Scorer:
    if task not in scorers:
        raise HTTPException(404, _unknown("task", task, scorers))
    return scorers[task]


def _unknown(kind: str, name: str, known: dict[str, Any]) -> str:
    return f"unknown {kind} '{name}'; known: {sorted(known)}"


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
