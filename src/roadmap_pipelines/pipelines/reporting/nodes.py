"""Exploratory data analysis of the train split and the cleaned time series.

Only the train split is profiled: looking at test rows while choosing features or models is
a quiet form of leakage.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.timestamps import timestamp_labels

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
        The square correlation matrix, indexed and labelled by column name.

    Raises:
        InputDataError: If the train split has fewer than two numeric columns.
    """
    numeric = _numeric_columns(train)
    if len(numeric) < 2:
        raise InputDataError(
            f"The train split has {len(numeric)} numeric column(s) ({numeric}); "
            "a correlation matrix needs at least two."
        )
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
