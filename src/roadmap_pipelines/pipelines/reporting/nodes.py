"""Exploratory data analysis of the train split and the cleaned time series.

Only the train split is profiled: looking at test rows while choosing features or models is
a quiet form of leakage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.ml.reports.figures import (
    colour,
    grid,
    note,
    position,
    round_value,
    rounded,
)
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.params.tasks import TaskParams

# Figures are typed ``Any``: Kedro resolves node type hints at import time, and importing
# plotly there would slow every CLI call, Kedro-Viz and the tests.


def _numeric_columns(data: pd.DataFrame) -> list[str]:
    return [
        name
        for name, dtype in data.dtypes.items()
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    ]


def profile_columns(train: pd.DataFrame) -> pd.DataFrame:
    """Describe every column: dtype, missing values, distinct values and distribution.

    Args:
        train: The cleaned train split.

    Returns:
        One row per column with ``dtype``, ``missing``, ``missing_share``, ``distinct`` and,
        for numeric columns, ``mean``, ``std``, ``min``, ``q25``, ``median``, ``q75``, ``max``.
    """
    numeric = train[_numeric_columns(train)].astype("float64")
    stats = pd.DataFrame(columns=["mean", "std", "min", "q25", "median", "q75", "max"])
    if len(numeric.columns):
        stats = (
            numeric.describe()
            .T.rename(columns={"25%": "q25", "50%": "median", "75%": "q75"})
            .drop(columns="count")
        )
    profile = pd.DataFrame(
        {
            "dtype": train.dtypes.astype(str),
            "missing": train.isna().sum(),
            "missing_share": train.isna().mean().round(6),
            "distinct": train.nunique(),
        }
    )
    profile = profile.join(stats.round(6), how="left")
    return profile.rename_axis("column").reset_index()


def summarise_categories(train: pd.DataFrame, params: ReportingParams) -> dict[str, Any]:
    """Count the most frequent labels of every categorical, text or boolean column.

    Args:
        train: The cleaned train split.
        params: ``reporting`` parameters (``top_categories``).

    Returns:
        Column name to ``{label: count}`` of its ``top_categories`` most frequent labels.
    """
    columns = [name for name in train.columns if name not in _numeric_columns(train)]
    return {
        name: {
            str(label): int(count)
            for label, count in train[name]
            .value_counts(sort=True)
            .head(params.top_categories)
            .items()
        }
        for name in columns
    }


def correlate_features(train: pd.DataFrame, params: ReportingParams) -> pd.DataFrame:
    """Correlate every pair of numeric columns.

    Args:
        train: The cleaned train split.
        params: ``reporting`` parameters (``correlation_method``).

    Returns:
        The square correlation matrix, indexed and labelled by column name; empty (no rows,
        no columns) when the train split has fewer than two numeric columns, which
        ``plot_correlations`` then explains instead of drawing.
    """
    numeric = _numeric_columns(train)
    if len(numeric) < 2:
        return pd.DataFrame(index=pd.Index([], name="column", dtype=object))
    matrix = train[numeric].astype("float64").corr(method=params.correlation_method)
    return matrix.round(6).rename_axis("column")


def plot_correlations(matrix: pd.DataFrame, params: ReportingParams) -> Any:
    """Draw the correlation matrix as a heatmap.

    Args:
        matrix: Output of ``correlate_features``.
        params: ``reporting`` parameters (for the title).

    Returns:
        A plotly ``Figure``: a heatmap, blue for negative and red for positive correlation.
    """
    import plotly.graph_objects as go

    title = f"{params.correlation_method.title()} correlation (train split)"
    if matrix.shape[1] < 2:
        return note(
            title,
            "not applicable: a correlation matrix needs at least two numeric columns, "
            "and the train split has fewer",
        )
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=-1,
            zmax=1,
            colorscale="RdBu_r",
        )
    )
    figure.update_layout(title=f"{params.correlation_method.title()} correlation (train split)")
    return figure


def plot_timeseries(
    series: pd.DataFrame, columns: TimeSeriesParams, params: ReportingParams
) -> Any:
    """Draw each cleaned series on its own row, up to ``max_series_plotted`` series.

    Args:
        series: The regular long table from preprocessing.
        columns: ``preprocessing.timeseries`` parameters (names of id, time, value columns).
        params: ``reporting`` parameters (``max_series_plotted``).

    Returns:
        A plotly ``Figure`` with one subplot per series.
    """
    from plotly.subplots import make_subplots

    ids = sorted(series[columns.id_column].unique())[: params.max_series_plotted]
    # plotly refuses a spacing above 1 / (rows - 1)
    spacing = min(0.04, 1 / max(len(ids) - 1, 1))
    figure = make_subplots(rows=len(ids), cols=1, subplot_titles=ids, vertical_spacing=spacing)
    for row, series_id in enumerate(ids, start=1):
        points = series.loc[series[columns.id_column] == series_id]
        figure.add_scatter(
            x=timestamp_labels(points[columns.time_column]),
            y=points[columns.value_column].tolist(),
            name=series_id,
            mode="lines",
            row=row,
            col=1,
        )
    figure.update_layout(height=220 * len(ids), showlegend=False, title="Cleaned time series")
    return figure


# --- target, distributions, pairs, missing values -----------------------------------------

MISSING_LABEL = "(missing)"
OTHER_LABEL = "(other)"


def _is_numeric(column: pd.Series) -> bool:
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _feature_columns(train: pd.DataFrame, target: str) -> list[str]:
    if target not in train.columns:
        raise InputDataError(f"target column '{target}' is missing from the train split")
    return [name for name in train.columns if name != target]


def _classes(target: pd.Series) -> list[Any]:
    return sorted(target.dropna().unique().tolist(), key=str)


def _correlation_ratio(values: pd.Series, groups: pd.Series) -> float:
    """η: the share of the spread of ``values`` explained by ``groups``, as a correlation."""
    frame = pd.DataFrame({"v": values.astype("float64"), "g": groups.astype(str)}).dropna()
    if frame.empty:
        return 0.0
    total = float(((frame["v"] - frame["v"].mean()) ** 2).sum())
    if total == 0.0:
        return 0.0
    stats = frame.groupby("g", sort=True)["v"].agg(["mean", "size"])
    between = float((stats["size"] * (stats["mean"] - frame["v"].mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _cramers_v(first: pd.Series, second: pd.Series) -> float:
    """Cramér's V of two label columns (no bias correction), from their contingency table."""
    from scipy.stats.contingency import association

    frame = pd.DataFrame({"a": first.astype(str), "b": second.astype(str)})
    frame = frame[first.notna().to_numpy() & second.notna().to_numpy()]
    table = pd.crosstab(frame["a"], frame["b"]).to_numpy()
    if min(table.shape) < 2:
        return 0.0
    return float(association(table, method="cramer", correction=False))


def rank_target_associations(
    train: pd.DataFrame, tabular: TaskParams, problem: str
) -> pd.DataFrame:
    """Rank every feature by the strength of its relation to the target, on a 0-1 scale.

    Numeric feature and numeric target: |Spearman correlation|. Numeric feature and class
    target, or label feature and numeric target: the correlation ratio η (the share of the
    numeric column's spread explained by the labels, square-rooted). Label feature and class
    target: Cramér's V.

    Args:
        train: The cleaned train split.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.

    Returns:
        ``feature``, ``kind`` (numeric or categorical), ``measure`` and ``association``
        (rounded to 6 decimals), strongest first, ties by feature name.
    """
    kind = problem_kind(problem)
    target = train[tabular.target]
    rows = []
    for name in _feature_columns(train, tabular.target):
        column = train[name]
        numeric = _is_numeric(column)
        if kind == "regression" and numeric:
            measure = "abs_spearman"
            pair = pd.DataFrame({"x": column.astype("float64"), "y": target.astype("float64")})
            value = abs(pair.dropna().corr(method="spearman").iloc[0, 1])
        elif kind == "regression":
            measure, value = "correlation_ratio", _correlation_ratio(target, column)
        elif numeric:
            measure, value = "correlation_ratio", _correlation_ratio(column, target)
        else:
            measure, value = "cramers_v", _cramers_v(column, target)
        rows.append(
            {
                "feature": name,
                "kind": "numeric" if numeric else "categorical",
                "measure": measure,
                "association": round(float(value), 6) if np.isfinite(value) else 0.0,
            }
        )
    table = pd.DataFrame(rows, columns=["feature", "kind", "measure", "association"])
    table = table.sort_values(["association", "feature"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


Groups = list[tuple[str | None, np.ndarray]]  # label (None: all rows) and a row mask


def _label_counts(
    column: pd.Series, groups: Groups, top: int
) -> tuple[list[str], list[np.ndarray]]:
    labels = column.astype(object).where(column.notna(), MISSING_LABEL).astype(str)
    order = labels.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    kept = list(order.index[:top])
    if len(order) > top:
        labels = labels.where(labels.isin(kept), OTHER_LABEL)
        kept.append(OTHER_LABEL)
    counts = [
        labels[mask].value_counts().reindex(kept, fill_value=0).to_numpy(dtype="float64")
        for _, mask in groups
    ]
    return kept, counts


def _numeric_counts(
    column: pd.Series, groups: Groups, bins: int
) -> tuple[list[Any], list[np.ndarray]]:
    datetimes = pd.api.types.is_datetime64_any_dtype(column.dtype)
    present = column.notna().to_numpy()
    values = (column.astype("int64") if datetimes else column.astype("float64")).to_numpy()
    distinct = np.unique(values[present])
    if len(distinct) == 0:
        return [], [np.zeros(0) for _ in groups]
    if pd.api.types.is_integer_dtype(column.dtype) and len(distinct) <= bins:
        counts = [
            np.array([np.sum(values[mask & present] == value) for value in distinct], "float64")
            for _, mask in groups
        ]
        return [float(value) for value in distinct], counts
    edges = np.histogram_bin_edges(values[present], bins=bins)
    counts = [
        np.histogram(values[mask & present], edges)[0].astype("float64") for _, mask in groups
    ]
    centres = (edges[:-1] + edges[1:]) / 2
    if datetimes:
        return timestamp_labels(pd.to_datetime(centres.astype("int64"))), counts
    return rounded(centres), counts


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
    kind = problem_kind(problem)
    features = _feature_columns(train, tabular.target)
    if not features:
        return note("Feature distributions", "The train split has no feature columns.")
    target = train[tabular.target]
    if kind == "classification":
        groups: Groups = [(str(label), (target == label).to_numpy()) for label in _classes(target)]
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
        if _is_numeric(column) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            x, counts = _numeric_counts(column, groups, params.distribution_bins)
        else:
            x, counts = _label_counts(column, groups, params.top_categories)
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
    import plotly.graph_objects as go

    name = tabular.target
    if name not in train.columns:
        raise InputDataError(f"target column '{name}' is missing from the train split")
    target = train[name]
    figure = go.Figure()
    if problem_kind(problem) == "classification":
        classes = _classes(target)
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
            title=f"{name}: rows per class (train split of {len(train)})",
            xaxis_title=name,
            yaxis_title="rows",
        )
        return figure
    values = target.astype("float64").dropna()
    everything: list[tuple[str | None, np.ndarray]] = [(None, np.ones(len(values), dtype=bool))]
    x, (heights,) = _numeric_counts(values, everything, params.distribution_bins)
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
        title=f"{name}: distribution (train split of {len(train)})",
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
    target = rows[tabular.target]
    figure = go.Figure()

    def dimensions(frame: pd.DataFrame, names: list[str]) -> list[dict[str, Any]]:
        return [{"label": name, "values": rounded(frame[name].astype("float64"))} for name in names]

    if problem_kind(problem) == "classification":
        for shade, label in enumerate(_classes(target)):
            figure.add_trace(
                go.Splom(
                    dimensions=dimensions(rows[target == label], chosen),
                    name=str(label),
                    marker={"color": colour(shade), "size": 3, "opacity": 0.5},
                )
            )
    else:
        figure.add_trace(
            go.Splom(
                dimensions=dimensions(rows, [*chosen, tabular.target]),
                name=tabular.target,
                marker={
                    "color": rounded(target.astype("float64")),
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": tabular.target},
                    "size": 3,
                    "opacity": 0.5,
                },
            )
        )
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


def plot_missing_values(train_uncleaned: pd.DataFrame) -> tuple[Any, str]:
    """Map the missing values of the train split as it was before cleaning (imputation).

    Columns with missing values are drawn, in table order, above a bar of each one's missing
    share; complete columns are counted in the title. Drawn with matplotlib's Agg canvas
    (no pyplot: no global state, nothing to close).

    Args:
        train_uncleaned: The train split after row cleaning, before imputation and clipping.

    Returns:
        The matplotlib ``Figure`` and the same figure as a base64 PNG for the HTML report.
    """
    import base64
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    missing = train_uncleaned.isna()
    shown = [name for name in missing.columns if missing[name].any()]
    rows, total_columns = missing.shape
    figure = Figure(figsize=(12, 7), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    if not shown:
        axes = figure.add_subplot()
        axes.axis("off")
        axes.text(
            0.5,
            0.5,
            f"No missing values in the train split before cleaning\n"
            f"({rows} rows x {total_columns} columns)",
            ha="center",
            va="center",
            fontsize=14,
        )
    else:
        share_axes, map_axes = figure.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4]}
        )
        shares = missing[shown].mean().to_numpy()
        positions = np.arange(len(shown))
        share_axes.bar(positions, shares, color="#d62728", width=0.8)
        share_axes.set_ylim(0, 1)
        share_axes.set_ylabel("missing share")
        for x, share in zip(positions, shares, strict=True):
            label = "<1%" if 0 < share < 0.005 else f"{share:.0%}"
            share_axes.text(x, share + 0.03, label, ha="center", fontsize=7)
        map_axes.imshow(
            missing[shown].to_numpy(dtype="uint8"),
            aspect="auto",
            interpolation="nearest",
            cmap=ListedColormap(["#e8e8e8", "#d62728"]),
            vmin=0,
            vmax=1,
        )
        map_axes.set_xticks(positions, shown, rotation=90, fontsize=8)
        map_axes.set_ylabel("train row")
    figure.suptitle(
        f"Missing values before cleaning: {len(shown)} of {total_columns} columns have gaps "
        f"({int(missing.to_numpy().sum())} cells in {rows} rows)"
        if shown
        else "Missing values before cleaning"
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return figure, base64.b64encode(buffer.getvalue()).decode("ascii")
