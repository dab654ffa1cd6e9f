"""Small helpers the report nodes share: rounding, grids of subplots and notes.

Plotly is imported inside the functions: every pipeline module is imported by the CLI,
Kedro-Viz and the tests, which should not pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

DIGITS = 6  # decimals kept in figures and plot data: stable bytes, no float noise
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
BASELINE_GREY = "#9e9e9e"


def rounded(values: Iterable[Any], digits: int = DIGITS) -> list[float | None]:
    """Plain floats rounded to ``digits`` decimals; missing and infinite values become None."""
    import numpy as np
    import pandas as pd

    array = pd.Series(list(values), dtype="Float64").to_numpy("float64", na_value=np.nan)
    array = np.round(array, digits)
    return [float(value) if math.isfinite(value) else None for value in array]


def round_value(value: Any, digits: int = DIGITS) -> float | None:
    """One value as ``rounded`` does it."""
    return rounded([value], digits)[0]


def colour(position: int) -> str:
    """The ``position``-th colour of the report palette (cycled)."""
    return PALETTE[position % len(PALETTE)]


def grid(
    titles: list[str],
    columns: int,
    row_height: int = 220,
    title: str | None = None,
    shared_xaxes: bool | str = False,
) -> Any:
    """A plotly figure of ``len(titles)`` titled subplots, ``columns`` a row.

    Args:
        titles: One title per subplot, filled row by row.
        columns: Subplots per row.
        row_height: Pixels per row.
        title: The figure's title.
        shared_xaxes: Passed to ``make_subplots``.

    Returns:
        The figure; subplot ``i`` (0-based) is at row ``i // columns + 1``, column
        ``i % columns + 1``.
    """
    from plotly.subplots import make_subplots

    rows = max(1, math.ceil(len(titles) / columns))
    height = max(320, row_height * rows + 140)
    plot_height = height - 140  # the margins below
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=titles,
        # about 70 px between rows; plotly refuses a spacing above 1 / (rows - 1)
        vertical_spacing=min(70 / plot_height, 1 / max(rows - 1, 1)),
        horizontal_spacing=0.06 if columns > 2 else 0.1,
        shared_xaxes=shared_xaxes,
    )
    figure.update_layout(height=height, title=title, margin={"t": 90, "l": 60, "r": 30, "b": 50})
    figure.update_annotations(font_size=12)
    return figure


def position(index: int, columns: int) -> dict[str, int]:
    """``row`` and ``col`` keywords of subplot ``index`` in a grid of ``columns``."""
    return {"row": index // columns + 1, "col": index % columns + 1}


def note(title: str, text: str) -> Any:
    """An empty figure that says why there is nothing to draw."""
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_annotation(
        text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font_size=14
    )
    figure.update_layout(
        title=title,
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=320,
    )
    return figure
