"""Drift report, DVC metrics, figure and retrain gate of one task's scored batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.monitoring.drift import (
    DriftRule,
    column_drift,
    feature_drift,
    performance_change,
)
from roadmap_pipelines.ml.tabular.metrics import (
    GREATER_IS_BETTER,
    classification_metrics,
    regression_metrics,
)
from roadmap_pipelines.params.monitoring import MonitoringParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd


class DriftDetected(InputDataError):
    """Retraining is recommended and ``monitoring.fail_on_drift`` asks the run to stop."""


def compare_with_training(  # noqa: PLR0913 - reference, batch and the training run's results
    reference: pd.DataFrame,
    batch_rows: pd.DataFrame,
    test_predictions: pd.DataFrame,
    batch_predictions: pd.DataFrame,
    test_metrics: dict[str, Any],
    rejects: pd.DataFrame,
    tabular: TaskParams,
    params: MonitoringParams,
) -> tuple[dict[str, Any], dict[str, Any], pd.DataFrame]:
    """Compare a scored batch with the training reference and decide whether to retrain.

    Args:
        reference: The train split before imputation (``<task>.train_uncleaned``).
        batch_rows: The batch's valid rows as validated (``<task>.inference_rows``).
        test_predictions: The training run's predictions on its test split.
        batch_predictions: The batch's predictions (``<task>.inference_predictions``).
        test_metrics: The training run's test metrics.
        rejects: The batch's rejected rows.
        tabular: The task's declaration, ``tasks.<task>`` (target).
        params: ``monitoring`` parameters.

    Returns:
        The drift report (every feature, predictions, performance when labels arrived,
        ``retrain_recommended`` and its reasons), its DVC metrics, and the per-feature table.
    """
    rule = DriftRule(params.thresholds.psi, params.thresholds.p_value)
    target = tabular.target
    columns = [name for name in batch_rows.columns if name in reference.columns and name != target]
    table = feature_drift(reference, batch_rows, columns, params.bins, rule)
    drifted = table.loc[table["drifted"], "feature"].tolist() if len(table) else []
    predictions = column_drift(
        test_predictions["predicted"], batch_predictions["predicted"], params.bins, rule
    )
    performance = _performance(batch_rows, batch_predictions, test_metrics, target)
    reasons = []
    if len(drifted) >= params.min_drifted_features:
        reasons.append(f"{len(drifted)} feature(s) drifted: {', '.join(sorted(drifted))}")
    if predictions["drifted"]:
        reasons.append(
            f"predictions drifted (PSI {predictions['psi']}, {predictions['test']} p-value "
            f"{predictions['p_value']})"
        )
    worse = {
        name: change
        for name, change in performance.get("metrics", {}).items()
        if change["worsening"] > params.thresholds.performance_drop
    }
    reasons += [
        f"{name} worsened by {change['worsening']:.1%} (test {change['test']}, batch "
        f"{change['batch']})"
        for name, change in sorted(worse.items())
    ]
    report = {
        "rows_scored": len(batch_predictions),
        "rows_rejected": int(rejects["row_id"].nunique()) if len(rejects) else 0,
        "thresholds": params.thresholds.model_dump(),
        "features": {
            row["feature"]: {key: _plain(value) for key, value in row.items() if key != "feature"}
            for row in table.to_dict(orient="records")
        },
        "drifted_features": sorted(drifted),
        "predictions": predictions,
        "performance": performance,
        "retrain_recommended": bool(reasons),
        "reasons": reasons,
    }
    metrics = {
        "retrain_recommended": int(bool(reasons)),
        "drifted_features": len(drifted),
        "max_feature_psi": float(table["psi"].max()) if len(table) else 0.0,
        "prediction_psi": predictions["psi"],
        "rows_scored": report["rows_scored"],
        "rows_rejected": report["rows_rejected"],
    } | {
        f"batch_{name}": change["batch"] for name, change in performance.get("metrics", {}).items()
    }
    return report, metrics, table


def _performance(
    rows: pd.DataFrame, predictions: pd.DataFrame, test_metrics: dict[str, Any], target: str
) -> dict[str, Any]:
    import numpy as np

    if target not in rows.columns or rows[target].isna().all():
        return {"labelled_rows": 0}
    labelled = rows[target].notna().to_numpy()
    actual = rows.loc[labelled, target]
    predicted = predictions.loc[labelled, "predicted"].to_numpy()
    if test_metrics["problem"] == "regression":
        values = regression_metrics(actual.astype("float64").to_numpy(), predicted)
    else:
        proba = [c for c in predictions.columns if c.startswith("proba_")]
        # labels compared by their text: probability columns name the classes as strings, and
        # an integer target may come back from the model as floats (2 and 2.0 are one class)
        classes = [_label(c.removeprefix("proba_")) for c in proba]
        positive = test_metrics.get("positive_class")
        values = classification_metrics(
            np.array([_label(value) for value in actual], dtype=object),
            np.array([_label(value) for value in predicted], dtype=object),
            predictions.loc[labelled, proba].to_numpy() if proba else None,
            classes,
            None if positive is None else _label(positive),
        )
    return {
        "labelled_rows": int(labelled.sum()),
        "metrics": performance_change(test_metrics["metrics"], values, GREATER_IS_BETTER),
    }


def _label(value: Any) -> str:
    """A class label as text, with integral numbers written as integers (``2.0`` -> ``2``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(value)


def _plain(value: Any) -> Any:
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


def plot_drift(table: pd.DataFrame, params: MonitoringParams) -> Any:
    """Bar chart of each feature's PSI, drifted features highlighted, thresholds drawn.

    Args:
        table: ``compare_with_training``'s per-feature table.
        params: ``monitoring`` parameters (the PSI threshold).

    Returns:
        A plotly figure.
    """
    import plotly.graph_objects as go

    shown = table.head(30).iloc[::-1]
    colours = ["#d62728" if drifted else "#1f77b4" for drifted in shown["drifted"]]
    figure = go.Figure(
        go.Bar(
            x=shown["psi"],
            y=shown["feature"],
            orientation="h",
            marker_color=colours,
            customdata=shown[["test", "p_value"]].to_numpy(),
            hovertemplate="%{y}: PSI %{x}<br>%{customdata[0]} p-value %{customdata[1]}"
            "<extra></extra>",
        )
    )
    figure.add_vline(x=params.thresholds.psi, line_dash="dash", line_color="#d62728")
    figure.update_layout(
        title="Feature drift of the batch vs the train split (PSI; red: drifted)",
        xaxis_title="population stability index",
        height=max(300, 22 * len(shown) + 120),
        template="plotly_white",
    )
    return figure


def gate_on_drift(report: dict[str, Any], params: MonitoringParams) -> None:
    """Stop the run if retraining is recommended and ``fail_on_drift`` is set.

    Args:
        report: ``compare_with_training``'s drift report.
        params: ``monitoring`` parameters.

    Raises:
        DriftDetected: Listing the reasons.
    """
    if params.fail_on_drift and report["retrain_recommended"]:
        raise DriftDetected(
            "Retraining recommended (monitoring.fail_on_drift is true): "
            + "; ".join(report["reasons"])
        )
