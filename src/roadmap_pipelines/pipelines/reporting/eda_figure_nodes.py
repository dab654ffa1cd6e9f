"""Exploratory figures of a task's train split: feature and target distributions, a scatter
matrix of the features most related to the target, and the missing values before cleaning.

Only the train split is drawn: looking at test rows while choosing features or models is a
quiet form of leakage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.reports.distributions import (
    Groups,
    binned_counts,
    category_counts,
    class_labels,
    feature_columns,
    is_numeric,
)
from roadmap_pipelines.ml.reports.figures import colour, grid, note, position, round_value, rounded
from roadmap_pipelines.ml.reports.missing_values import draw_missing_values
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

# Figures are typed ``Any``: Kedro resolves node type hints at import time, and importing
# plotly there would slow every CLI call, Kedro-Viz and the tests.


def plot_feature_distributions(
    train: pd.DataFrame, tabular: TaskParams, problem: str, params: ReportingParams
) -> Any:
    """Draw the distribution of every feature of the train split, by class for classifiers.

    Numeric features are binned into ``distribution_bins`` equal-width bins (integers with few
    values get a bar per value); label features show their ``top_categories`` most frequent
    labels and the rest as ``(other)``. For classification each class has its own bars, as the
    share of that class's rows, so rare classes stay visible.

    Args:
        train: The cleaned train split.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters.

    Returns:
        A plotly ``Figure``, one subplot per feature in column order, four to a row.
    """
    import numpy as np
    import pandas as pd

    kind = problem_kind(problem)
    features = feature_columns(train, tabular.target)
    if not features:
        return note("Feature distributions", "The train split has no feature columns.")
    target = train[tabular.target]
    if kind == "classification":
        groups: Groups = [
            (str(label), (target == label).to_numpy()) for label in class_labels(target)
        ]
        unit = "share of class"
        title = f"Feature distributions by {tabular.target} ({unit}, train split)"
    else:
        groups = [(None, np.ones(len(train), dtype=bool))]
        unit = "rows"
        title = f"Feature distributions (rows, train split of {len(train)})"
    columns = 4
    figure = grid(features, columns, row_height=200, title=title)
    for number, name in enumerate(features):
        column = train[name]
        if is_numeric(column) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            x, counts = binned_counts(column, groups, params.distribution_bins)
        else:
            x, counts = category_counts(column, groups, params.top_categories)
        for shade, ((label, mask), values) in enumerate(zip(groups, counts, strict=True)):
            y = values / max(int(mask.sum()), 1) if kind == "classification" else values
            figure.add_bar(
                x=x,
                y=rounded(y),
                name=label or name,
                legendgroup=label,
                showlegend=kind == "classification" and number == 0,
                marker_color=colour(shade),
                opacity=0.8,
                **position(number, columns),
            )
    figure.update_layout(barmode="group", bargap=0.1, showlegend=kind == "classification")
    return figure


def plot_target_distribution(
    train: pd.DataFrame, tabular: TaskParams, problem: str, params: ReportingParams
) -> Any:
    """Draw the target of the train split: class counts, or a histogram of a numeric target.

    Args:
        train: The cleaned train split.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters (``distribution_bins``).

    Returns:
        A plotly ``Figure``: one bar per class labelled with its share, or ``distribution_bins``
        bars with the mean and median marked.
    """
    name = tabular.target
    if name not in train.columns:
        raise InputDataError(f"target column '{name}' is missing from the train split")
    if problem_kind(problem) == "classification":
        return _class_counts_figure(train[name], name, len(train))
    return _numeric_target_figure(train[name], name, len(train), params.distribution_bins)


def _class_counts_figure(target: pd.Series, name: str, rows: int) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    classes = class_labels(target)
    counts = [int((target == label).sum()) for label in classes]
    total = max(sum(counts), 1)
    figure.add_bar(
        x=[str(label) for label in classes],
        y=counts,
        text=[f"{count / total:.1%}" for count in counts],
        textposition="outside",
        cliponaxis=False,
        marker_color=[colour(n) for n in range(len(classes))],
        name=name,
    )
    figure.update_layout(
        title=f"{name}: rows per class (train split of {rows})",
        xaxis_title=name,
        yaxis_title="rows",
    )
    return figure


def _numeric_target_figure(target: pd.Series, name: str, rows: int, bins: int) -> Any:
    import numpy as np
    import plotly.graph_objects as go

    figure = go.Figure()
    values = target.astype("float64").dropna()
    everything: Groups = [(None, np.ones(len(values), dtype=bool))]
    x, (heights,) = binned_counts(values, everything, bins)
    figure.add_bar(x=x, y=rounded(heights), name=name, marker_color=colour(0))
    for label, value, dash in (
        ("mean", values.mean(), "dash"),
        ("median", values.median(), "dot"),
    ):
        figure.add_vline(
            x=round_value(value),
            line_dash=dash,
            annotation_text=f"{label} {value:,.6g}",
            annotation_position="top right" if label == "mean" else "top left",
        )
    figure.update_layout(
        title=f"{name}: distribution (train split of {rows})",
        xaxis_title=name,
        yaxis_title="rows",
        bargap=0.05,
    )
    return figure


def plot_feature_pairs(
    train: pd.DataFrame,
    associations: pd.DataFrame,
    tabular: TaskParams,
    problem: str,
    params: ReportingParams,
    random_state: int,
) -> Any:
    """Draw a scatter matrix of the ``top_features`` numeric features most related to the target.

    Args:
        train: The cleaned train split.
        associations: ``rank_target_associations`` output.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters (``top_features``, ``scatter_max_rows``).
        random_state: The project seed (the row sample).

    Returns:
        A plotly ``Figure`` of one ``splom`` trace per class (classification), or one trace
        with the target as the last dimension, coloured by it (regression). At most
        ``scatter_max_rows`` rows, sampled without replacement and kept in train order.
    """
    import numpy as np
    import plotly.graph_objects as go

    numeric = associations.loc[associations["kind"] == "numeric", "feature"].tolist()
    chosen = numeric[: params.top_features]
    if len(chosen) < 2:
        return note(
            "Top features",
            f"A scatter matrix needs two numeric features; the train split has {len(chosen)}.",
        )
    rows = train
    if len(train) > params.scatter_max_rows:
        picked = np.random.RandomState(random_state).choice(
            len(train), params.scatter_max_rows, replace=False
        )
        rows = train.iloc[np.sort(picked)]
    figure = go.Figure()
    for trace in _splom_traces(rows, chosen, tabular.target, problem_kind(problem)):
        figure.add_trace(trace)
    figure.update_traces(showupperhalf=False, diagonal_visible=False)
    size = 180 * (len(chosen) + (problem_kind(problem) == "regression")) + 160
    figure.update_layout(
        title=(
            f"Top {len(chosen)} numeric features by association with {tabular.target} "
            f"({len(rows)} train rows)"
        ),
        height=size,
        width=size + 120,
        dragmode="select",
    )
    return figure


def _splom_traces(rows: pd.DataFrame, chosen: list[str], target: str, kind: str) -> list[Any]:
    """One ``splom`` trace per class, or one with the target as its last dimension."""
    import plotly.graph_objects as go

    values = rows[target]

    def dimensions(frame: pd.DataFrame, names: list[str]) -> list[dict[str, Any]]:
        return [{"label": name, "values": rounded(frame[name].astype("float64"))} for name in names]

    if kind == "classification":
        return [
            go.Splom(
                dimensions=dimensions(rows[values == label], chosen),
                name=str(label),
                marker={"color": colour(shade), "size": 3, "opacity": 0.5},
            )
            for shade, label in enumerate(class_labels(values))
        ]
    return [
        go.Splom(
            dimensions=dimensions(rows, [*chosen, target]),
            name=target,
            marker={
                "color": rounded(values.astype("float64")),
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": target},
                "size": 3,
                "opacity": 0.5,
            },
        )
    ]


def plot_missing_values(train_uncleaned: pd.DataFrame) -> tuple[Any, str]:
    """Map the missing values of the train split as it was before cleaning (imputation).

    Columns with missing values are drawn, in table order, above a bar of each one's missing
    share; complete columns are counted in the title (``ml.reports.missing_values``).

    Args:
        train_uncleaned: The train split after row cleaning, before imputation and clipping.

    Returns:
        The matplotlib ``Figure`` and the same figure as a base64 PNG for the HTML report.
    """
    return draw_missing_values(train_uncleaned)
