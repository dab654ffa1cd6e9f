"""The figure of a task's model evaluated on the test split: confusion matrix, ROC,
precision-recall and calibration curves of a classifier; residuals and predicted against actual
values of a regressor. Drawn from the tables ``evaluation_nodes`` writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.labels import label_text, label_texts
from roadmap_pipelines.ml.reports.figures import BASELINE_GREY, DIGITS, colour, rounded
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting.evaluation_nodes import MACRO, confusion_counts

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd


def plot_model_evaluation(
    predictions: pd.DataFrame,
    test_metrics: dict[str, Any],
    roc: pd.DataFrame,
    pr: pd.DataFrame,
    calibration: pd.DataFrame,
    residuals: pd.DataFrame,
    problem: str,
    params: ReportingParams,
) -> Any:
    """Draw how the chosen model does on the test split.

    Classification: confusion matrix, ROC curve, precision-recall curve and calibration curve.
    Regression: residuals against predictions, the residual histogram, and predicted against
    actual values.

    Args:
        predictions: ``<task>.test_predictions``.
        test_metrics: ``<task>.test_metrics``.
        roc: ``classification_curves`` ROC points.
        pr: Its precision-recall points.
        calibration: Its calibration bins.
        residuals: ``residual_points`` output.
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters (``distribution_bins``).

    Returns:
        A plotly ``Figure`` of 2 x 2 (classification) or 1 x 3 (regression) subplots.
    """
    if problem_kind(problem) == "classification":
        return _classification_figure(
            predictions, test_metrics, roc, pr, calibration, params.calibration_bins
        )
    return _regression_figure(predictions, test_metrics, residuals, params)


def _metric_text(test_metrics: dict[str, Any], names: tuple[str, ...]) -> str:
    import numpy as np

    values = test_metrics.get("metrics", {})
    return ", ".join(
        f"{name} {values[name]:,.0f}" if abs(values[name]) >= 1000 else f"{name} {values[name]:.4g}"
        for name in names
        if isinstance(values.get(name), int | float) and np.isfinite(values[name])
    )


def _classification_figure(
    predictions: pd.DataFrame,
    test_metrics: dict[str, Any],
    roc: pd.DataFrame,
    pr: pd.DataFrame,
    calibration: pd.DataFrame,
    bins: int,
) -> Any:
    from plotly.subplots import make_subplots

    classes = [label for label in roc["class"].unique() if label != MACRO] if len(roc) else []
    if not len(roc):
        scored = "no probabilities"
    elif len(classes) == 1:
        scored = f"positive class: {classes[0]}"
    else:
        scored = f"{len(classes)} classes one-vs-rest, macro average"
    figure = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[
            "Confusion matrix (test rows)",
            f"ROC curve ({scored})",
            f"Precision-recall curve ({scored})",
            f"Calibration ({bins} equal-width bins; empty ones not drawn)",
        ],
        horizontal_spacing=0.14,
        vertical_spacing=0.14,
    )
    _confusion_panel(figure, confusion_counts(predictions))
    styles = {label: {"color": colour(number)} for number, label in enumerate(classes)}
    styles[MACRO] = {"color": "black", "dash": "dot"}
    _roc_panel(figure, roc, styles)
    positive = test_metrics.get("positive_class")
    prevalence = None
    if len(classes) == 1 and positive is not None:
        prevalence = float((label_texts(predictions["actual"]) == label_text(positive)).mean())
    _precision_recall_panel(figure, pr, styles, prevalence)
    _calibration_panel(figure, calibration, styles)
    for row, col, x_title, y_title in (
        (1, 2, "false positive rate", "true positive rate"),
        (2, 1, "recall", "precision"),
        (2, 2, "mean predicted probability", "observed fraction"),
    ):
        figure.update_xaxes(title_text=x_title, range=[0, 1], row=row, col=col)
        figure.update_yaxes(title_text=y_title, range=[0, 1.02], row=row, col=col)
    summary = _metric_text(test_metrics, ("roc_auc", "accuracy", "f1", "log_loss"))
    figure.update_layout(
        title=f"Test-set evaluation: {summary}" if summary else "Test-set evaluation",
        height=820,
        showlegend=len(classes) > 1,
    )
    return figure


_DIAGONAL = {"x": [0, 1], "y": [0, 1], "mode": "lines", "showlegend": False}


def _confusion_panel(figure: Any, counts: pd.DataFrame) -> None:
    labels = list(counts.columns)
    figure.add_heatmap(
        z=counts.to_numpy().tolist(),
        x=labels,
        y=labels,
        colorscale="Blues",
        showscale=False,
        texttemplate="%{z}",
        hovertemplate="actual %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>",
        name="confusion matrix",
        row=1,
        col=1,
    )
    figure.update_xaxes(title_text="predicted", type="category", row=1, col=1)
    figure.update_yaxes(title_text="actual", type="category", autorange="reversed", row=1, col=1)


def _roc_panel(figure: Any, roc: pd.DataFrame, styles: dict[str, dict[str, str]]) -> None:
    import numpy as np

    for label, curve in roc.groupby("class", sort=False):
        auc = float(np.trapezoid(curve["tpr"], curve["fpr"]))
        figure.add_scatter(
            x=curve["fpr"].tolist(),
            y=curve["tpr"].tolist(),
            mode="lines",
            name=f"{label} (area {auc:.3f})",
            line=styles[label],
            row=1,
            col=2,
        )
    if len(roc):
        figure.add_scatter(
            **_DIAGONAL, line={"dash": "dash", "color": BASELINE_GREY}, name="chance", row=1, col=2
        )


def _precision_recall_panel(
    figure: Any, pr: pd.DataFrame, styles: dict[str, dict[str, str]], prevalence: float | None
) -> None:
    """The curves, and a binary task's chance level: the positive class's prevalence."""
    for label, curve in pr.groupby("class", sort=False):
        figure.add_scatter(
            x=curve["recall"].tolist(),
            y=curve["precision"].tolist(),
            mode="lines",
            line={**styles[label], "shape": "vh"},
            name=f"{label} precision-recall",
            row=2,
            col=1,
        )
    if prevalence is not None:
        figure.add_scatter(
            x=[0, 1],
            y=[round(prevalence, DIGITS)] * 2,
            mode="lines",
            line={"dash": "dash", "color": BASELINE_GREY},
            name=f"chance (prevalence {prevalence:.3f})",
            showlegend=False,
            row=2,
            col=1,
        )


def _calibration_panel(
    figure: Any, calibration: pd.DataFrame, styles: dict[str, dict[str, str]]
) -> None:
    for label, curve in calibration.groupby("class", sort=False):
        figure.add_scatter(
            x=curve["mean_predicted"].tolist(),
            y=curve["observed_fraction"].tolist(),
            mode="lines+markers",
            line=styles[label],
            customdata=curve["rows"].tolist(),
            hovertemplate="predicted %{x}<br>observed %{y}<br>%{customdata} rows",
            name=f"{label} calibration",
            row=2,
            col=2,
        )
    if len(calibration):
        figure.add_scatter(
            **_DIAGONAL, line={"dash": "dash", "color": BASELINE_GREY}, name="perfect", row=2, col=2
        )


def _regression_figure(
    predictions: pd.DataFrame,
    test_metrics: dict[str, Any],
    residuals: pd.DataFrame,
    params: ReportingParams,
) -> Any:
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=["Residuals vs predicted", "Residual histogram", "Predicted vs actual"],
        horizontal_spacing=0.08,
    )
    _residual_panels(figure, residuals, params.distribution_bins)
    _predicted_against_actual_panel(figure, predictions)
    figure.update_xaxes(title_text="predicted", row=1, col=1)
    figure.update_yaxes(title_text="residual (actual − predicted)", row=1, col=1)
    figure.update_xaxes(title_text="residual", row=1, col=2)
    figure.update_yaxes(title_text="test rows", row=1, col=2)
    figure.update_xaxes(title_text="actual", row=1, col=3)
    figure.update_yaxes(title_text="predicted", row=1, col=3)
    summary = _metric_text(test_metrics, ("rmse", "mae", "r2"))
    figure.update_layout(
        title=f"Test-set evaluation: {summary}" if summary else "Test-set evaluation",
        height=480,
        showlegend=False,
        bargap=0.05,
    )
    return figure


def _residual_panels(figure: Any, residuals: pd.DataFrame, bins: int) -> None:
    """Residuals against predictions (first panel) and their histogram (second)."""
    import numpy as np

    figure.add_scatter(
        x=residuals["predicted"].tolist(),
        y=residuals["residual"].tolist(),
        mode="markers",
        marker={"size": 4, "opacity": 0.6, "color": colour(0)},
        name="test rows",
        row=1,
        col=1,
    )
    figure.add_hline(y=0, line_dash="dash", line_color=BASELINE_GREY, row=1, col=1)
    values = residuals["residual"].to_numpy("float64")
    if len(values):
        edges = np.histogram_bin_edges(values, bins=bins)
        counts = np.histogram(values, edges)[0]
        figure.add_bar(
            x=rounded((edges[:-1] + edges[1:]) / 2),
            y=counts.tolist(),
            marker_color=colour(0),
            name="residuals",
            row=1,
            col=2,
        )


def _predicted_against_actual_panel(figure: Any, predictions: pd.DataFrame) -> None:
    actual = predictions["actual"].to_numpy("float64")
    fitted = predictions["predicted"].to_numpy("float64")
    figure.add_scatter(
        x=rounded(actual),
        y=rounded(fitted),
        mode="markers",
        marker={"size": 4, "opacity": 0.6, "color": colour(2)},
        name="predicted",
        row=1,
        col=3,
    )
    if len(actual):
        low, high = float(min(actual.min(), fitted.min())), float(max(actual.max(), fitted.max()))
        figure.add_scatter(
            x=rounded([low, high]),
            y=rounded([low, high]),
            mode="lines",
            line={"dash": "dash", "color": BASELINE_GREY},
            name="perfect",
            row=1,
            col=3,
        )
