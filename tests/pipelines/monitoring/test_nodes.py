"""Monitoring nodes on synthetic tables: the report, its DVC metrics, the retrain gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.params.monitoring import MonitoringParams
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines.monitoring.nodes import (
    DriftDetected,
    compare_with_training,
    gate_on_drift,
    plot_drift,
)

TABULAR = TaskParams.model_validate(
    {
        "dataset": "toy",
        "target": "y",
        "problem": "regression",
        "columns": {"y": {"dtype": "float"}, "x": {"dtype": "float"}, "c": {"dtype": "category"}},
    }
)
TEST_METRICS = {"problem": "regression", "metrics": {"rmse": 1.0, "r2": 0.9}}
NO_REJECTS = pd.DataFrame(columns=["row_id", "column", "check", "value"])


def _rows(seed: int, rows: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, rows)
    return pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], rows), "y": 2 * x})


def _compare(batch: pd.DataFrame, params: MonitoringParams, predictions: pd.Series):
    reference = _rows(0, 2000)
    test_predictions = pd.DataFrame({"predicted": reference["y"].head(400)})
    batch_predictions = pd.DataFrame({"row_id": range(len(batch)), "predicted": predictions})
    return compare_with_training(
        reference,
        batch,
        test_predictions,
        batch_predictions,
        TEST_METRICS,
        NO_REJECTS,
        TABULAR,
        params,
    )


def test_an_unshifted_batch_recommends_nothing() -> None:
    batch = _rows(1, 500)
    report, metrics, table = _compare(batch, MonitoringParams(), batch["y"])
    assert report["retrain_recommended"] is False
    assert report["reasons"] == []
    assert metrics["retrain_recommended"] == 0
    assert set(table["feature"]) == {"x", "c"}  # the target is not a feature
    # labels arrived: perfect predictions score rmse 0, r2 1, better than the test split
    assert report["performance"]["labelled_rows"] == 500
    assert report["performance"]["metrics"]["rmse"]["worsening"] < 0


def test_a_shifted_batch_with_worse_predictions_gives_every_reason() -> None:
    batch = _rows(1, 500, shift=1.5)
    report, metrics, _ = _compare(batch, MonitoringParams(), batch["y"] + 3)
    assert report["drifted_features"] == ["x"]
    assert report["predictions"]["drifted"] is True
    assert report["reasons"][0] == "1 feature(s) drifted: x"
    assert any(reason.startswith("predictions drifted") for reason in report["reasons"])
    assert any(reason.startswith("rmse worsened by") for reason in report["reasons"])
    assert metrics["retrain_recommended"] == 1
    assert metrics["drifted_features"] == 1
    assert metrics["batch_rmse"] == pytest.approx(3.0)
    figure = plot_drift(
        pd.DataFrame(_compare(batch, MonitoringParams(), batch["y"])[2]), MonitoringParams()
    )
    assert list(figure.data[0].y)[-1] == "x"  # the largest PSI on top


def test_the_gate_stops_the_run_only_when_asked() -> None:
    report = {"retrain_recommended": True, "reasons": ["1 feature(s) drifted: x"]}
    gate_on_drift(report, MonitoringParams())
    with pytest.raises(DriftDetected, match="fail_on_drift is true.*drifted: x"):
        gate_on_drift(report, MonitoringParams(fail_on_drift=True))
    gate_on_drift(
        {"retrain_recommended": False, "reasons": []}, MonitoringParams(fail_on_drift=True)
    )


def test_integer_labels_score_against_a_models_float_classes() -> None:
    # an integer target comes back from the model as 0.0/1.0/2.0 and names its probability
    # columns proba_0.0…: the labels are one class each, so a perfect batch scores 1.0
    task = TaskParams.model_validate(
        {
            "dataset": "toy",
            "target": "y",
            "problem": "classification",
            "columns": {"y": {"dtype": "int"}, "x": {"dtype": "float"}},
        }
    )
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1, 2], 100)
    reference = pd.DataFrame({"x": rng.normal(size=300), "y": labels})
    batch = pd.DataFrame({"x": rng.normal(size=300), "y": labels})
    proba = np.eye(3)[labels]
    predictions = pd.DataFrame(
        {"row_id": range(300), "predicted": labels.astype(float)}
        | {f"proba_{c:.1f}": proba[:, c] for c in range(3)}
    )
    test_metrics = {"problem": "classification", "metrics": {"accuracy": 0.9}}

    report, _, _ = compare_with_training(
        reference,
        batch,
        pd.DataFrame({"predicted": labels.astype(float)}),
        predictions,
        test_metrics,
        NO_REJECTS,
        task,
        MonitoringParams(),
    )

    assert report["performance"]["labelled_rows"] == 300
    assert report["performance"]["metrics"]["accuracy"]["batch"] == 1.0
