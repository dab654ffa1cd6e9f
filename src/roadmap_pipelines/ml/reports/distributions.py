"""Counts of a column's values for bar charts, per group of rows: equal-width bins (or one bar
per value) of a numeric or date column, the most frequent labels of any other; and the column
kinds the exploratory reports tell apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.ml.reports.figures import rounded

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MISSING_LABEL = "(missing)"
OTHER_LABEL = "(other)"

Groups: TypeAlias = "list[tuple[str | None, np.ndarray]]"  # label (None: all rows) and a row mask


def is_numeric(column: pd.Series) -> bool:
    """Whether a column holds numbers (booleans are labels here)."""
    import pandas as pd

    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def feature_columns(train: pd.DataFrame, target: str) -> list[str]:
    """Every column of the train split but the target.

    Raises:
        InputDataError: If the target column is missing.
    """
    if target not in train.columns:
        raise InputDataError(f"target column '{target}' is missing from the train split")
    return [name for name in train.columns if name != target]


def class_labels(target: pd.Series) -> list[Any]:
    """The classes of a target, sorted by their text."""
    return sorted(target.dropna().unique().tolist(), key=str)


def category_counts(
    column: pd.Series, groups: Groups, top: int
) -> tuple[list[str], list[np.ndarray]]:
    """The ``top`` most frequent labels (missing values as ``(missing)``, the rest as
    ``(other)``) and their counts in each group."""
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


def binned_counts(
    column: pd.Series, groups: Groups, bins: int
) -> tuple[list[Any], list[np.ndarray]]:
    """Bar positions and each group's counts: one bar per value of an integer column with at
    most ``bins`` values, else ``bins`` equal-width bins (dates labelled as timestamps)."""
    import numpy as np
    import pandas as pd

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
