"""How strongly two columns are related, on a 0-1 scale, whatever their kinds."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def correlation_ratio(values: pd.Series, groups: pd.Series) -> float:
    """η: the share of the spread of ``values`` explained by ``groups``, as a correlation."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"v": values.astype("float64"), "g": groups.astype(str)}).dropna()
    if frame.empty:
        return 0.0
    total = float(((frame["v"] - frame["v"].mean()) ** 2).sum())
    if total == 0.0:
        return 0.0
    stats = frame.groupby("g", sort=True)["v"].agg(["mean", "size"])
    between = float((stats["size"] * (stats["mean"] - frame["v"].mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def cramers_v(first: pd.Series, second: pd.Series) -> float:
    """Cramér's V of two label columns (no bias correction), from their contingency table."""
    import pandas as pd
    from scipy.stats.contingency import association

    frame = pd.DataFrame({"a": first.astype(str), "b": second.astype(str)})
    frame = frame[first.notna().to_numpy() & second.notna().to_numpy()]
    table = pd.crosstab(frame["a"], frame["b"]).to_numpy()
    if min(table.shape) < 2:
        return 0.0
    return float(association(table, method="cramer", correction=False))
