"""Readable, deterministic text for timestamps in reports, figures and error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def timestamp_labels(timestamps: pd.DatetimeIndex | pd.Series) -> list[str]:
    """Format timestamps as ISO dates, adding the time of day only where one is set.

    Args:
        timestamps: Naive timestamps.

    Returns:
        ``"YYYY-MM-DD"`` labels for dates at midnight, ``"YYYY-MM-DD HH:MM:SS"`` otherwise.
    """
    import pandas as pd

    index = pd.DatetimeIndex(timestamps)
    at_midnight = bool((index == index.normalize()).all())
    return list(index.strftime("%Y-%m-%d" if at_midnight else "%Y-%m-%d %H:%M:%S"))
