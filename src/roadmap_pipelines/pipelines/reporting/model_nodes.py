"""Reports on each task's models: leaderboard, search history, test-set evaluation, feature
importance, and the metrics and plot data DVC reads.

Everything here reads the ``modelling_tabular`` outputs; nothing refits a model. Plot data
tables are rounded to 6 decimals and sorted, so reruns give byte-identical files. A table that
does not apply to the task's problem (ROC points of a regression) is written with its header
only: DVC skips an empty plot, and every task keeps the same outputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from roadmap_pipelines.ml.reports.figures import (
    BASELINE_GREY,
    DIGITS,
    colour,
    note,
    round_value,
    rounded,
)
from roadmap_pipelines.ml.tabular.metrics import (
    GREATER_IS_BETTER,
    classification_metrics,
    regression_metrics,
)
from roadmap_pipelines.ml.tabular.search import predict
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.params.tasks import TaskParams

# ``class``: the scored class (binary: the positive class; multiclass: each class one-vs-rest,
# then MACRO for the macro average over classes)
ROC_COLUMNS = ["class", "fpr", "tpr"]
PR_COLUMNS = ["class", "recall", "precision"]
CALIBRATION_COLUMNS = ["class", "mean_predicted", "observed_fraction", "rows"]
MACRO = "macro average"
RESIDUAL_COLUMNS = ["predicted", "residual"]


def _better(metric: str) -> str:
    return "higher is better" if GREATER_IS_BETTER.get(metric, True) else "lower is better"


# --- metrics for DVC ------------------------------------------------------------------------


def summarise_metrics(test_metrics: dict[str, Any], leaderboard: pd.DataFrame) -> dict[str, Any]:
    """Gather the numbers ``dvc metrics show`` and ``dvc metrics diff`` compare.

    Keys: ``test.<metric>`` every metric of the problem on the test split;
    ``cv_mean.<metric>`` and ``cv_std.<metric>`` the best candidate's cross-validated mean and
    standard deviation of each searched metric (empty without CV); ``test_rows``;
    ``candidates`` (how many were compared). Numbers only, rounded to 6 decimals; a metric
    that could not be computed is ``null``.

    Args:
        test_metrics: ``<task>.test_metrics`` (``evaluate_on_test``).
        leaderboard: ``<task>.leaderboard``.

    Returns:
        The metrics document.
    """
    best = leaderboard.loc[leaderboard["best"].astype(bool)]
    row = best.iloc[0] if len(best) else pd.Series(dtype=object)
    means = {
        name.removesuffix("_mean"): round_value(row[name])
        for name in sorted(leaderboard.columns)
        if name.endswith("_mean")
    }
    stds = {
        name.removesuffix("_std"): round_value(row[name])
        for name in sorted(leaderboard.columns)
        if name.endswith("_std")
    }
    return {
        "test": {
            name: round_value(value) for name, value in sorted(test_metrics["metrics"].items())
        },
        "cv_mean": means,
        "cv_std": stds,
        "test_rows": int(test_metrics["rows"]),
        "candidates": len(leaderboard),
    }


# --- leaderboard and search history ---------------------------------------------------------


def leaderboard_scores(leaderboard: pd.DataFrame, modelling: TabularModelling) -> pd.DataFrame:
    """Each candidate's cross-validated ``rank_by`` score, in rank order, for DVC's bar plot.

    Args:
        leaderboard: ``<task>.leaderboard``.
        modelling: The task's ``modelling_tabular.<task>`` parameters (``rank_by``).

    Returns:
        ``rank``, ``candidate``, ``score`` (CV mean) and ``std``; empty scores without CV.
    """
    mean, std = f"{modelling.rank_by}_mean", f"{modelling.rank_by}_std"
    board = leaderboard.sort_values("rank", kind="stable")
    return pd.DataFrame(
        {
            "rank": board["rank"].astype(int).to_numpy(),
            "candidate": board["candidate"].astype(str).to_numpy(),
            "score": rounded(board[mean]) if mean in board else [None] * len(board),
            "std": rounded(board[std]) if std in board else [None] * len(board),
        }
    )


def plot_leaderboard(scores: pd.DataFrame, modelling: TabularModelling) -> Any:
    """Draw each candidate's CV mean ± standard deviation of ``rank_by``, best first.

    Args:
        scores: ``leaderboard_scores`` output.
        modelling: The task's modelling parameters (``rank_by``, ``cv``).

    Returns:
        A plotly ``Figure`` with one bar per candidate in rank order; the best is coloured,
        the others grey; a candidate whose every trial failed has no bar and says so.
    """
    import plotly.graph_objects as go

    metric = modelling.rank_by
    if scores["score"].isna().all():
        return note(
            "Leaderboard",
            "No cross-validation (cv: null): the single candidate was fitted as configured.",
        )
    labels = [
        f"{name} (failed)" if pd.isna(score) else name
        for name, score in zip(scores["candidate"], scores["score"], strict=True)
    ]
    folds = modelling.cv.n_splits if modelling.cv else 0
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=rounded(scores["score"]),
            error_y={"type": "data", "array": rounded(scores["std"].fillna(0)), "visible": True},
            marker_color=[colour(0) if rank == 1 else BASELINE_GREY for rank in scores["rank"]],
            text=[None if pd.isna(s) else f"{s:.4g}" for s in scores["score"]],
            textposition="outside",
            cliponaxis=False,
            name=metric,
        )
    )
    figure.update_layout(
        title=f"Leaderboard: CV {metric}, mean ± std over {folds} folds ({_better(metric)})",
        xaxis_title="candidate (rank order)",
        yaxis_title=metric,
    )
    return figure


def plot_search_history(trials: pd.DataFrame, modelling: TabularModelling) -> Any:
    """Draw the CV ``rank_by`` score of every search trial, per candidate, with its best so far.

    Args:
        trials: ``<task>.search_trials``.
        modelling: The task's modelling parameters (``rank_by``).

    Returns:
        A plotly ``Figure``: per candidate a markers trace (one point per trial, failed trials
        left out) and a dotted line of the best score reached so far.
    """
    import plotly.graph_objects as go

    metric = modelling.rank_by
    column = f"{metric}_mean"
    if trials.empty or column not in trials:
        return note("Search history", "No search trials (cv: null): nothing was searched.")
    figure = go.Figure()
    greater = GREATER_IS_BETTER.get(metric, True)
    for shade, (name, rows) in enumerate(trials.groupby("candidate", sort=False)):
        own = rows.sort_values("trial", kind="stable")
        scores = own[column].astype("float64")
        best = scores.cummax() if greater else scores.cummin()
        failed = int((own["state"] == "failed").sum())
        pruned = int((own["state"] == "pruned").sum())
        notes = [f"{failed} failed"] * bool(failed) + [f"{pruned} pruned"] * bool(pruned)
        label = f"{name} ({', '.join(notes)})" if notes else name
        figure.add_trace(
            go.Scatter(
                x=own["trial"].astype(int).tolist(),
                y=rounded(scores),
                mode="markers",
                name=label,
                legendgroup=name,
                marker={"color": colour(shade), "size": 8},
                customdata=own["params"].astype(str).tolist(),
                hovertemplate="trial %{x}<br>%{y}<br>%{customdata}<extra>" + name + "</extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=own["trial"].astype(int).tolist(),
                y=rounded(best.ffill()),
                mode="lines",
                line={"color": colour(shade), "dash": "dot", "shape": "hv"},
                name=f"{name} best so far",
                legendgroup=name,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title=f"Search history: CV {metric} per trial ({_better(metric)}; dotted: best so far)",
        xaxis_title="trial",
        yaxis_title=f"CV {metric} (mean over folds)",
    )
    return figure


# --- test-set evaluation --------------------------------------------------------------------


def _label(value: Any) -> str:
    """A class label as text, whole numbers without a decimal part: an integer target may
    come back as ``1`` in ``actual`` and ``1.0`` in the model's classes."""
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _labels(values: pd.Series) -> np.ndarray:
    return np.array([_label(value) for value in values], dtype=object)


def _probability_columns(predictions: pd.DataFrame) -> dict[str, str]:
    return {
        _label(column.removeprefix("proba_")): column
        for column in predictions.columns
        if column.startswith("proba_")
    }


def classification_curves(
    predictions: pd.DataFrame,
    test_metrics: dict[str, Any],
    problem: str,
    params: ReportingParams,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ROC, precision-recall and calibration curves of the test predictions.

    A binary problem scores its positive class (``test_metrics["positive_class"]``); a
    multiclass one has a curve per class (one-vs-rest) and their macro average (``class``
    ``macro average``: ROC true-positive rates and PR precisions averaged on a common grid,
    calibration per bin over the classes). Regression tasks and models without probabilities
    get the tables' headers only.

    Args:
        predictions: ``<task>.test_predictions`` (``actual``, ``predicted``, ``proba_<class>``).
        test_metrics: ``<task>.test_metrics``.
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters (``calibration_bins``).

    Returns:
        Per ``class``: ``fpr``/``tpr`` as scikit-learn's ``roc_curve`` (intermediate points
        dropped); ``recall``/``precision`` as ``precision_recall_curve``, by increasing
        recall; ``mean_predicted``/``observed_fraction``/``rows`` of each non-empty one of
        ``calibration_bins`` equal-width bins, as ``calibration_curve``. Rounded to 6 decimals.
    """
    empty = (
        pd.DataFrame(columns=ROC_COLUMNS),
        pd.DataFrame(columns=PR_COLUMNS),
        pd.DataFrame(columns=CALIBRATION_COLUMNS),
    )
    if problem_kind(problem) != "classification":
        return empty
    columns = _probability_columns(predictions)
    if not columns:
        return empty
    actual = _labels(predictions["actual"])
    positive = test_metrics.get("positive_class")
    if positive is not None and _label(positive) in columns:
        scored = [_label(positive)]
    else:
        scored = [label for label in sorted(columns) if 0 < (actual == label).sum() < len(actual)]
    if not scored:
        return empty
    tables: list[list[pd.DataFrame]] = [[], [], []]
    for label in scored:
        truth = actual == label
        scores = predictions[columns[label]].to_numpy("float64")
        for table, curve in zip(
            tables, _curves(truth, scores, params.calibration_bins), strict=True
        ):
            table.append(curve.assign(**{"class": label}))
    if len(scored) > 1:
        for table, curve in zip(tables, _macro(tables), strict=True):
            table.append(curve.assign(**{"class": MACRO}))
    return tuple(
        pd.concat(table, ignore_index=True)[names]
        for table, names in zip(tables, (ROC_COLUMNS, PR_COLUMNS, CALIBRATION_COLUMNS), strict=True)
    )


def _curves(
    truth: np.ndarray, scores: np.ndarray, bins: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ROC, precision-recall and calibration points of one class's scores."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(truth, scores)
    precision, recall, _ = precision_recall_curve(truth, scores, drop_intermediate=True)
    order = np.arange(len(recall))[::-1]  # scikit-learn lists recall from 1 down to 0
    roc = pd.DataFrame({"fpr": rounded(fpr), "tpr": rounded(tpr)})
    pr = pd.DataFrame({"recall": rounded(recall[order]), "precision": rounded(precision[order])})
    return roc, pr, _calibration(truth, scores, bins)


def _macro(tables: list[list[pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The macro average of per-class curves: ROC and PR on the union of their x values (as
    scikit-learn's macro ROC example), calibration per bin weighting classes equally."""
    rocs, prs, calibrations = tables
    grid = np.unique(np.concatenate([roc["fpr"].to_numpy() for roc in rocs]))
    tpr = np.mean([np.interp(grid, roc["fpr"], roc["tpr"]) for roc in rocs], axis=0)
    # every ROC curve starts at (0, 0); interpolating at fpr 0 takes the top of the first
    # vertical step, so the origin is put back in front
    grid, tpr = np.concatenate([[0.0], grid]), np.concatenate([[0.0], tpr])
    recall = np.unique(np.concatenate([pr["recall"].to_numpy() for pr in prs]))
    # precision is a step function of recall: take each class's value at or after each recall
    precision = np.mean(
        [
            pr["precision"].to_numpy()[
                np.minimum(np.searchsorted(pr["recall"].to_numpy(), recall), len(pr) - 1)
            ]
            for pr in prs
        ],
        axis=0,
    )
    per_bin = pd.concat(calibrations, ignore_index=True).groupby("bin", sort=True)
    calibration = pd.DataFrame(
        {
            "mean_predicted": rounded(per_bin["mean_predicted"].mean().to_numpy()),
            "observed_fraction": rounded(per_bin["observed_fraction"].mean().to_numpy()),
            "rows": per_bin["rows"].sum().to_numpy().astype(int),
        }
    )
    return (
        pd.DataFrame({"fpr": rounded(grid), "tpr": rounded(tpr)}),
        pd.DataFrame({"recall": rounded(recall), "precision": rounded(precision)}),
        calibration,
    )


def _calibration(truth: np.ndarray, scores: np.ndarray, bins: int) -> pd.DataFrame:
    """``sklearn.calibration.calibration_curve`` (uniform bins) with each bin's number and
    row count."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    bin_of = np.searchsorted(edges[1:-1], scores, side="right")
    rows = np.bincount(bin_of, minlength=bins)
    sums = np.bincount(bin_of, weights=scores, minlength=bins)
    hits = np.bincount(bin_of, weights=truth.astype("float64"), minlength=bins)
    kept = rows > 0
    return pd.DataFrame(
        {
            "bin": np.flatnonzero(kept),
            "mean_predicted": rounded(sums[kept] / rows[kept]),
            "observed_fraction": rounded(hits[kept] / rows[kept]),
            "rows": rows[kept].astype(int),
        }
    )


def residual_points(predictions: pd.DataFrame, problem: str) -> pd.DataFrame:
    """Residual (actual − predicted) of every test row, by increasing prediction.

    Args:
        predictions: ``<task>.test_predictions``.
        problem: The task's ``tasks.<task>.problem``.

    Returns:
        ``predicted`` and ``residual`` rounded to 6 decimals; the header only for classifiers.
    """
    if problem_kind(problem) != "regression":
        return pd.DataFrame(columns=RESIDUAL_COLUMNS)
    predicted = predictions["predicted"].to_numpy("float64")
    residual = predictions["actual"].to_numpy("float64") - predicted
    table = pd.DataFrame({"predicted": rounded(predicted), "residual": rounded(residual)})
    return table.sort_values(["predicted", "residual"], kind="stable").reset_index(drop=True)


def confusion_counts(predictions: pd.DataFrame) -> pd.DataFrame:
    """Test rows by actual (index) and predicted (columns) class, classes in sorted order."""
    columns = _probability_columns(predictions)
    actual = pd.Series(_labels(predictions["actual"]), name="actual")
    predicted = pd.Series(_labels(predictions["predicted"]), name="predicted")
    classes = sorted(set(columns) | set(actual) | set(predicted))
    table = pd.crosstab(actual, predicted).reindex(index=classes, columns=classes, fill_value=0)
    return table.rename_axis(index="actual", columns="predicted").astype(int)


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

    counts = confusion_counts(predictions)
    positive = test_metrics.get("positive_class")
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
    diagonal = {"x": [0, 1], "y": [0, 1], "mode": "lines", "showlegend": False}
    styles = {label: {"color": colour(number)} for number, label in enumerate(classes)}
    styles[MACRO] = {"color": "black", "dash": "dot"}
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
            **diagonal, line={"dash": "dash", "color": BASELINE_GREY}, name="chance", row=1, col=2
        )
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
    if len(classes) == 1 and positive is not None:
        prevalence = float((_labels(predictions["actual"]) == _label(positive)).mean())
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
            **diagonal, line={"dash": "dash", "color": BASELINE_GREY}, name="perfect", row=2, col=2
        )
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
    predicted = residuals["predicted"].tolist()
    figure.add_scatter(
        x=predicted,
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
        edges = np.histogram_bin_edges(values, bins=params.distribution_bins)
        counts = np.histogram(values, edges)[0]
        figure.add_bar(
            x=rounded((edges[:-1] + edges[1:]) / 2),
            y=counts.tolist(),
            marker_color=colour(0),
            name="residuals",
            row=1,
            col=2,
        )
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


# --- feature importance ---------------------------------------------------------------------


def _sample_rows(frame: pd.DataFrame, limit: int, random_state: int) -> np.ndarray:
    if len(frame) <= limit:
        return np.arange(len(frame))
    return np.sort(np.random.RandomState(random_state).choice(len(frame), limit, replace=False))


def _block_score(
    model: Any,
    metric: str,
    kind: str,
    target: np.ndarray,
    predicted: np.ndarray,
    probabilities: np.ndarray | None,
    positive: Any,
) -> float:
    """``metric`` of one block of predictions, signed so that greater is better."""
    if kind == "regression":
        value = regression_metrics(target, predicted)[metric]
    else:
        value = classification_metrics(
            target, predicted, probabilities, list(model.classes_), positive
        )[metric]
    return value if GREATER_IS_BETTER[metric] else -value


def permutation_importance(
    model: Any,
    features: pd.DataFrame,
    target: pd.Series,
    metric: str,
    kind: str,
    positive: Any,
    n_repeats: int,
    random_state: int,
) -> pd.DataFrame:
    """scikit-learn's ``permutation_importance``, batched: one prediction call for everything.

    It draws the same shuffles as ``sklearn.inspection.permutation_importance`` (a seed drawn
    from ``random_state``; each column shuffled anew from that seed, repeat after repeat), so
    the results are the same, but the permuted copies of the rows are stacked and predicted
    at once: a preprocessing pipeline costs tens of milliseconds per call, whatever the rows.

    Args:
        model: A fitted estimator or pipeline taking ``features``.
        features: The rows to permute, as the model takes them.
        target: Their true target.
        metric: A metric of ``roadmap_pipelines.ml.tabular.metrics``; importance is the drop
            in it (the rise, for a lower-is-better metric).
        kind: ``classification`` or ``regression``.
        positive: The binary positive class, or None.
        n_repeats: Shuffles per column.
        random_state: The seed.

    Returns:
        One row per input column: ``feature``, ``importance`` (mean), ``std`` (population
        standard deviation over repeats, as scikit-learn's), in column order.
    """
    n_rows = len(features)
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    state = np.random.RandomState(seed)
    shuffling = np.arange(n_rows)
    orders = []  # the row order of a column after each repeat, as scikit-learn composes them
    current = np.arange(n_rows)
    for _ in range(n_repeats):
        state.shuffle(shuffling)
        current = current[shuffling]
        orders.append(current.copy())
    # block 0 is the rows as they are; block 1 + c * n_repeats + r has column c in the order
    # of repeat r. Each column is gathered with one `take`, which keeps its dtype.
    n_blocks = 1 + len(features.columns) * n_repeats
    plain = np.tile(np.arange(n_rows), n_blocks)
    stacked_columns = {}
    for number, name in enumerate(features.columns):
        indexer = plain.copy()
        for repeat, order in enumerate(orders):
            block = 1 + number * n_repeats + repeat
            indexer[block * n_rows : (block + 1) * n_rows] = order
        stacked_columns[name] = features[name].take(indexer).reset_index(drop=True)
    stacked = pd.DataFrame(stacked_columns)
    # one pass of the feature transforms for both predictions and probabilities
    predicted, probabilities = predict(model, stacked, kind)
    truth = target.to_numpy()

    def score(block: int) -> float:
        rows = slice(block * n_rows, (block + 1) * n_rows)
        return _block_score(
            model,
            metric,
            kind,
            truth,
            predicted[rows],
            None if probabilities is None else probabilities[rows],
            positive,
        )

    baseline = score(0)
    drops = np.array(
        [
            [baseline - score(1 + column * n_repeats + repeat) for repeat in range(n_repeats)]
            for column in range(len(features.columns))
        ]
    ).reshape(len(features.columns), n_repeats)
    return pd.DataFrame(
        {
            "feature": list(features.columns),
            "importance": drops.mean(axis=1),
            "std": drops.std(axis=1),
        }
    )


def _model_importance(model: Any) -> pd.DataFrame | None:
    """Importances the final estimator exposes, on the features it sees: ``feature_importances_``
    or |coefficients| (averaged over classes). None if it exposes neither."""
    if not hasattr(model, "steps"):
        return None
    estimator = model.steps[-1][1]
    estimator = getattr(estimator, "regressor_", estimator)
    if hasattr(estimator, "feature_importances_"):
        values, source = (
            np.asarray(estimator.feature_importances_, "float64"),
            "feature_importances_",
        )
    elif hasattr(estimator, "coef_"):
        coefficients = np.atleast_2d(np.asarray(estimator.coef_, "float64"))
        values, source = np.abs(coefficients).mean(axis=0), "|coefficient|"
    else:
        return None
    try:
        names = list(model[:-1].get_feature_names_out())
    except (AttributeError, ValueError):
        names = [f"x{i}" for i in range(len(values))]
    if len(names) != len(values):
        return None
    return pd.DataFrame({"feature": names, "importance": values, "std": np.nan, "measure": source})


def compute_feature_importance(
    model: Any,
    test: pd.DataFrame,
    modelling: TabularModelling,
    tabular: TaskParams,
    problem: str,
    params: ReportingParams,
    random_state: int,
) -> pd.DataFrame:
    """Permutation importance of every input column on the test split, and the estimator's own
    importances where it exposes them.

    Permutation importance shuffles one input column of the whole pipeline (transforms and
    estimator) at a time and measures the drop in ``rank_by`` over ``permutation_repeats``
    shuffles, on at most ``permutation_max_rows`` test rows (a seeded sample).

    Args:
        model: ``<task>.model``, the fitted ``features`` + ``model`` pipeline.
        test: ``<task>.feature_test``.
        modelling: The task's modelling parameters (``rank_by``, ``positive_class``).
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters.
        random_state: The project seed.

    Returns:
        ``source`` (``permutation`` or ``model``), ``feature``, ``measure``, ``importance``,
        ``std`` and ``rank`` within the source; strongest first, rounded to 6 decimals.
    """
    from roadmap_pipelines.ml.tabular.targets import split_target

    kind = problem_kind(problem)
    features, target = split_target(test, tabular, kind)
    inputs = list(getattr(model, "feature_names_in_", features.columns))
    rows = _sample_rows(features, params.permutation_max_rows, random_state)
    positive = modelling.positive_class if kind == "classification" else None
    classes = list(getattr(model, "classes_", []))
    if kind == "classification" and len(classes) != 2:
        positive = None
    permuted = permutation_importance(
        model,
        features[inputs].iloc[rows].reset_index(drop=True),
        target.iloc[rows].reset_index(drop=True),
        modelling.rank_by,
        kind,
        positive,
        params.permutation_repeats,
        random_state,
    )
    change = "drop" if GREATER_IS_BETTER[modelling.rank_by] else "rise"
    permuted["measure"] = f"{change} in {modelling.rank_by}"
    tables = [permuted.assign(source="permutation")]
    own = _model_importance(model)
    if own is not None:
        tables.append(own.assign(source="model"))
    table = pd.concat(tables, ignore_index=True)
    table["importance"] = rounded(table["importance"])
    table["std"] = rounded(table["std"])
    table = table.sort_values(
        ["source", "importance", "feature"], ascending=[False, False, True], kind="stable"
    )
    table["rank"] = table.groupby("source").cumcount() + 1
    columns = ["source", "feature", "measure", "importance", "std", "rank"]
    return table[columns].reset_index(drop=True)


def plot_feature_importance(importance: pd.DataFrame, params: ReportingParams) -> Any:
    """Draw the ``importance_top_features`` strongest features of each source side by side.

    Args:
        importance: ``compute_feature_importance`` output.
        params: ``reporting`` parameters (``importance_top_features``).

    Returns:
        A plotly ``Figure`` with a horizontal bar panel for permutation importance (with its
        standard deviation over repeats) and, if the estimator exposes them, one for its own.
    """
    from plotly.subplots import make_subplots

    sources = [s for s in ("permutation", "model") if (importance["source"] == s).any()]
    titles = []
    for source in sources:
        measure = importance.loc[importance["source"] == source, "measure"].iloc[0]
        titles.append(
            f"Permutation importance: {measure} (input columns, test split)"
            if source == "permutation"
            else f"Model {measure} (transformed features)"
        )
    top = params.importance_top_features
    figure = make_subplots(rows=1, cols=max(len(sources), 1), subplot_titles=titles or [""])
    for number, source in enumerate(sources, start=1):
        rows = importance[importance["source"] == source].head(top).iloc[::-1]
        figure.add_bar(
            x=rows["importance"].tolist(),
            y=rows["feature"].tolist(),
            orientation="h",
            error_x=(
                {"type": "data", "array": rows["std"].fillna(0).tolist(), "visible": True}
                if source == "permutation"
                else None
            ),
            marker_color=colour(number - 1),
            name=source,
            row=1,
            col=number,
        )
    shown = min(top, max((importance["source"] == s).sum() for s in sources) if sources else 1)
    missing = "" if "model" in sources else " (the estimator exposes no importances)"
    figure.update_layout(
        title=f"Feature importance: top {top}{missing}",
        height=max(360, 22 * shown + 160),
        showlegend=False,
        margin={"l": 160},
    )
    return figure
