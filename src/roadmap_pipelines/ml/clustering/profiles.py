"""Profiles of clusters in the original feature values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.clustering.trials import DECIMALS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def profile_table(data: pd.DataFrame, cluster: np.ndarray) -> pd.DataFrame:
    """One row per cluster (sorted): ``cluster``, ``size``, ``share`` of the rows, then for
    every column of ``data`` its typical value in the cluster (``typical``)."""
    import numpy as np
    import pandas as pd

    columns = list(data.columns)
    rows = []
    for label in np.unique(cluster):
        part = data.loc[cluster == label]
        row: dict[str, Any] = {
            "cluster": int(label),
            "size": len(part),
            "share": round(len(part) / len(data), DECIMALS),
        }
        for column in columns:
            row[column] = typical(part[column])
        rows.append(row)
    return pd.DataFrame(rows, columns=["cluster", "size", "share", *columns])


def typical(values: pd.Series) -> Any:
    """Mean of a numeric or boolean column, mode of any other (ties: the first label in
    sorted order); ``None`` if all missing."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        mean = values.astype("float64").mean()
        return None if pd.isna(mean) else round(float(mean), DECIMALS)
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return None
    return sorted(counts.index[counts == counts.max()])[0]
