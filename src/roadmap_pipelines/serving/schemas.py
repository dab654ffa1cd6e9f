"""Pydantic request and response models, generated from each task's declared columns.

``/docs`` shows every column a row needs with its real name, type, range and allowed levels,
and FastAPI answers 422 naming the field and the reason before the scorer runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from roadmap_pipelines.ml.tabular.scoring import Scorer
from roadmap_pipelines.params.preprocessing import ColumnSpec

_TYPES: dict[str, Any] = {"int": int, "float": float, "bool": bool, "string": str, "datetime": str}


def _field(name: str, spec: ColumnSpec) -> tuple[Any, Any]:
    kind: Any = _TYPES.get(spec.dtype, str)
    if spec.allowed is not None:
        kind = Literal[tuple(spec.allowed)]
    constraints: dict[str, Any] = {"alias": name, "title": name}
    if spec.dtype in ("int", "float"):
        constraints |= {"ge": spec.min, "le": spec.max}
    if spec.dtype == "float":
        constraints["allow_inf_nan"] = False
    if spec.dtype == "datetime" and spec.date_format:
        constraints["description"] = f"date as {spec.date_format}"
    if spec.nullable:
        return kind | None, Field(default=None, **constraints)
    return kind, Field(**constraints)


def record_model(scorer: Scorer) -> type[BaseModel]:
    """The model of one row to score: a field per input column.

    Unknown fields are refused (422), unless the task's schema allows extra columns: then
    they are ignored, as training ignored the columns its model does not read.

    Args:
        scorer: The task's scorer (its declared columns and the model's other inputs).

    Returns:
        A pydantic model named ``<Task>Record``.
    """
    fields: dict[str, Any] = {
        f"field_{position}": _field(name, spec)
        for position, (name, spec) in enumerate(scorer.input_columns().items())
    }
    return create_model(
        f"{scorer.task.title().replace('_', '')}Record",
        __config__=ConfigDict(
            extra="ignore" if scorer.tabular.allow_extra_columns else "forbid",
            populate_by_name=False,
        ),
        **fields,
    )


def batch_type(record: type[BaseModel], max_rows: int) -> Any:
    """A JSON list of 1 to ``max_rows`` records."""
    # ``record`` is a model class built at run time, which mypy cannot check as a type
    return Annotated[list[record], Field(min_length=1, max_length=max_rows)]  # type: ignore[valid-type]


class Prediction(BaseModel):
    """One scored row."""

    row: int = Field(description="position of the record in the request, from 0")
    predicted: float | int | str
    probabilities: dict[str, float] | None = Field(
        default=None, description="class → probability (classifiers)"
    )


class PredictResponse(BaseModel):
    """Predictions of a request, with the version of the model that made them."""

    task: str
    model_version: str
    predictions: list[Prediction]


class ForecastPoint(BaseModel):
    """One forecast period with its 80% and 95% intervals."""

    timestamp: str
    forecast: float | None
    lower_80: float | None
    upper_80: float | None
    lower_95: float | None
    upper_95: float | None


class ForecastResponse(BaseModel):
    """A series' forecast from its fitted model."""

    series_id: str
    model: str
    frequency: str
    horizon: int
    forecast: list[ForecastPoint]
