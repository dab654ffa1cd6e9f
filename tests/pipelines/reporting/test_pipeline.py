"""The reporting pipeline, run whole with SequentialRunner on an in-memory catalog."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines.reporting import create_pipeline
from roadmap_pipelines.pipelines.reporting.pipeline import (
    FORECAST_REPORTS,
    TASK_REPORTS,
    TIMESERIES_REPORTS,
)

ROWS = 40


class KeptDataset(MemoryDataset):
    """A memory dataset the runner cannot empty, so tests can read intermediate outputs."""

    def _release(self) -> None:
        pass


def task_inputs(task: str, problem: str) -> dict[str, object]:
    """A train split, its model's outputs and the task's parameters."""
    generator = np.random.default_rng(len(task))
    x1 = generator.normal(size=ROWS)
    x2 = generator.normal(size=ROWS)
    if problem == "classification":
        target = np.where(x1 + 0.5 * generator.normal(size=ROWS) > 0, "bad", "good")
        estimator, metric, positive = LogisticRegression(), "roc_auc", "bad"
    else:
        target = 3 * x1 + generator.normal(size=ROWS)
        estimator, metric, positive = LinearRegression(), "rmse", None
    train = pd.DataFrame({"x1": x1, "x2": pd.array(np.round(x2 * 10), dtype="Int64"), "y": target})
    features = train.assign(x2=train["x2"].astype("float64"))
    model = Pipeline([("features", StandardScaler()), ("model", estimator)])
    model.fit(features[["x1", "x2"]], features["y"])
    predictions = pd.DataFrame(
        {"actual": target, "predicted": model.predict(features[["x1", "x2"]])}
    )
    if problem == "classification":
        for column, label in enumerate(model.classes_):
            predictions[f"proba_{label}"] = model.predict_proba(features[["x1", "x2"]])[:, column]
    leaderboard = pd.DataFrame(
        {
            "rank": [1],
            "candidate": ["only"],
            f"{metric}_mean": [0.8],
            f"{metric}_std": [0.1],
            "params": ["{}"],
            "best": [True],
        }
    )
    trials = pd.DataFrame(
        {
            "candidate": ["only", "only"],
            "trial": [0, 1],
            "params": ["{}", "{}"],
            "state": ["complete", "complete"],
            f"{metric}_mean": [0.7, 0.8],
            f"{metric}_std": [0.1, 0.1],
        }
    )
    uncleaned = train.assign(x1=train["x1"].where(np.arange(ROWS) % 4 != 0))
    return {
        f"{task}.tabular_train": train,
        f"{task}.train_uncleaned": uncleaned,
        f"{task}.feature_test": features,
        f"{task}.model": model,
        f"{task}.leaderboard": leaderboard,
        f"{task}.search_trials": trials,
        f"{task}.test_metrics": {
            "problem": problem,
            "rows": ROWS,
            "positive_class": positive,
            "metrics": {metric: 0.75},
        },
        f"{task}.test_predictions": predictions,
        f"params:tasks.{task}": TaskParams(
            dataset=task, target="y", problem=problem, columns={"y": {"dtype": "float"}}
        ),
        f"params:tasks.{task}.problem": problem,
        f"params:modelling_tabular.{task}": TabularModelling(
            metrics=[metric],
            rank_by=metric,
            positive_class=positive,
            cv={"strategy": "kfold", "n_splits": 2},
            search={"method": "random", "n_trials": 2},
            candidates={"only": {"estimator": "ridge"}},
        ),
    }


def timeseries_model_outputs() -> dict[str, pd.DataFrame]:
    """The modelling_timeseries outputs for series s: two models, two steps, one fold."""
    stamps = pd.to_datetime(["2021-01-01", "2021-02-01"])
    forecasts = pd.DataFrame(
        {
            "id": ["s"] * 4,
            "t": list(stamps) * 2,
            "model": ["arima", "arima", "naive", "naive"],
            "forecast": [13.0, 14.0, 12.0, 12.0],
        }
    )
    for level, width in (("80", 1.0), ("95", 2.0)):
        forecasts[f"lower_{level}"] = forecasts["forecast"] - width
        forecasts[f"upper_{level}"] = forecasts["forecast"] + width
    errors = forecasts[["id", "model"]].assign(
        fold=0, step=[1, 2, 1, 2], t=list(stamps) * 2, actual=12.5, forecast=forecasts["forecast"]
    )
    leaderboard = pd.DataFrame(
        {
            "id": ["__overall__", "__overall__", "s", "s"],
            "model": ["arima", "naive"] * 2,
            "mae": [1.0, 0.5] * 2,
            "rmse": [1.0] * 4,
            "mape": [1.0] * 4,
            "smape": [1.0] * 4,
            "mase": [1.2, 0.6] * 2,
            "rank": [2, 1] * 2,
            "best": [False, True] * 2,
        }
    )
    return {"ts_forecasts": forecasts, "ts_backtest_errors": errors, "ts_leaderboard": leaderboard}


@pytest.fixture(scope="module")
def outputs() -> dict[str, object]:
    months = pd.date_range("2018-01-01", periods=36, freq="MS")
    series = pd.DataFrame(
        {
            "id": ["s"] * 36,
            "t": months,
            "v": 10 + np.sin(np.arange(36) * np.pi / 6) + np.arange(36) / 10,
        }
    )
    columns = TimeSeriesParams(dataset="ts", id_column="id", time_column="t", value_column="v")
    data = {
        **task_inputs("credit", "classification"),
        **task_inputs("ames", "regression"),
        "timeseries_clean": series,
        "timeseries_summary": {"s": {"season_length": 12}},
        **timeseries_model_outputs(),
        "params:reporting": ReportingParams(correlation_method="pearson"),
        "params:preprocessing.timeseries": columns,
        "params:random_state": 0,
    }
    # the segmentation figures (tagged) are tested in test_segmentation_nodes.py and the drift
    # reports come from the monitoring pipeline; the page still gathers them, so stand-ins
    # are given here
    # two synthetic tasks, named explicitly: independent of conf's task list
    tasks = ("credit", "ames")
    pipeline = create_pipeline(tasks=tasks) - create_pipeline(tasks=tasks).only_nodes_with_tags(
        "segmentation"
    )
    data |= {name: _stand_in(name) for name in pipeline.inputs() - set(data)}
    catalog = DataCatalog(
        {name: MemoryDataset(value) for name, value in data.items()}
        | {name: KeptDataset() for name in pipeline.all_outputs()}
    )
    SequentialRunner().run(pipeline, catalog)
    return {name: catalog.load(name) for name in pipeline.all_outputs()}


def _stand_in(name: str) -> object:
    import plotly.graph_objects as go

    if name.endswith(".drift_metrics"):
        return {"retrain_recommended": 0, "drifted_features": 0}
    if name.endswith(".drift_table"):
        return pd.DataFrame({"feature": ["x"], "psi": [0.01], "drifted": [False]})
    assert name.endswith(("_plot", ".drift_chart")), f"{name}: no stand-in for this input"
    return go.Figure(layout={"title": {"text": name}})


def test_reporting_pipeline_writes_every_report(outputs: dict[str, object]) -> None:
    per_task = {
        "column_profile",
        "category_counts",
        "feature_correlations",
        "correlation_heatmap",
        "target_distribution",
        "feature_distributions",
        "missing_values",
        "target_associations",
        "feature_pairs",
        "metrics",
        "leaderboard_scores",
        "leaderboard_chart",
        "search_history",
        "roc_points",
        "pr_points",
        "calibration_points",
        "residual_points",
        "model_evaluation",
        "feature_importance",
        "feature_importance_chart",
    }
    shared = {
        "timeseries_stl",
        *TIMESERIES_REPORTS,
        *(set(FORECAST_REPORTS) - {"ts_leaderboard"}),  # that one is an input
        "forecast_error_by_horizon",
        "report_html",
    }
    expected = {f"{task}.{name}" for task in ("credit", "ames") for name in per_task} | shared
    # besides the reports, only the PNGs handed to the page in memory
    pngs = {f"{task}.missing_values_png" for task in ("credit", "ames")}
    assert set(outputs) == expected | pngs


def test_reports_follow_each_task_problem(outputs: dict[str, object]) -> None:
    assert len(outputs["credit.roc_points"]) > 2 and outputs["credit.residual_points"].empty
    assert outputs["ames.roc_points"].empty and len(outputs["ames.residual_points"]) == ROWS
    assert outputs["credit.model_evaluation"].data[0].type == "heatmap"
    assert outputs["ames.model_evaluation"].data[0].mode == "markers"
    assert outputs["credit.metrics"]["test"] == {"roc_auc": 0.75}
    assert outputs["ames.metrics"]["cv_mean"] == {"rmse": 0.8}
    json.dumps(outputs["ames.metrics"], allow_nan=False)  # plain JSON numbers for DVC
    profile = outputs["credit.column_profile"].set_index("column")
    assert profile.loc["x1", "missing"] == 0  # cleaned split
    missing = outputs["credit.missing_values"]
    assert missing.axes[0].patches[0].get_height() == 0.25  # before cleaning: x1 every 4th row
    assert list(outputs["timeseries_stl"]["series_id"].unique()) == ["s"]
    # the forecasts use the configured id column (here "id") and the naive model is best
    horizon = outputs["forecast_error_by_horizon"]
    assert horizon.loc[horizon["id"] == "s", "mae"].tolist() == [0.5, 1.5, 0.5, 0.5]
    assert outputs["forecast_chart"].layout.annotations[0].text == "s (best: naive)"


def test_the_page_gathers_every_report(outputs: dict[str, object]) -> None:
    page = outputs["report_html"]

    for task in ("credit", "ames"):
        for name in TASK_REPORTS:
            assert f'id="report-{task}-{name.replace("_", "-")}"' in page, (task, name)
    for name in TIMESERIES_REPORTS + FORECAST_REPORTS:
        assert f'id="report-{name.replace("_", "-")}"' in page, name
