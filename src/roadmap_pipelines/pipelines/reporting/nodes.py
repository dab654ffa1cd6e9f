"""Exploratory data analysis of the train split and the cleaned time series: column profiles,
categories, correlations, each feature's association with the target, and the series plot.
The train split's distribution figures are in ``eda_figure_nodes``.

Only the train split is profiled: looking at test rows while choosing features or models is
a quiet form of leakage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.ml.reports.associations import correlation_ratio, cramers_v
from roadmap_pipelines.ml.reports.distributions import feature_columns, is_numeric
from roadmap_pipelines.ml.reports.figures import note
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import np, pd

# Figures are typed ``Any``: Kedro resolves node type hints at import time, and importing
# plotly there would slow every CLI call, Kedro-Viz and the tests.


def _numeric_columns(data: pd.DataFrame) -> list[str]:
    return [name for name in data.columns if is_numeric(data[name])]


def profile_columns(train: pd.DataFrame) -> pd.DataFrame:
    """Describe every column: dtype, missing values, distinct values and distribution.

    Args:
        train: The cleaned train split.

    Returns:
        One row per column with ``dtype``, ``missing``, ``missing_share``, ``distinct`` and,
        for numeric columns, ``mean``, ``std``, ``min``, ``q25``, ``median``, ``q75``, ``max``.
    """
    import pandas as pd

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
    import pandas as pd

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


# --- relation of each feature to the target ---------------------------------------------


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
    import numpy as np
    import pandas as pd

    kind = problem_kind(problem)
    target = train[tabular.target]
    rows = []
    for name in feature_columns(train, tabular.target):
        column = train[name]
        numeric = is_numeric(column)
        if kind == "regression" and numeric:
            measure = "abs_spearman"
            pair = pd.DataFrame({"x": column.astype("float64"), "y": target.astype("float64")})
            value = abs(pair.dropna().corr(method="spearman").iloc[0, 1])
        elif kind == "regression":
            measure, value = "correlation_ratio", correlation_ratio(target, column)
        elif numeric:
            measure, value = "correlation_ratio", correlation_ratio(column, target)
        else:
            measure, value = "cramers_v", cramers_v(column, target)
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
