"""A map of a table's missing values, drawn with matplotlib's Agg canvas (no pyplot: no global
state, nothing to close)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def draw_missing_values(table: pd.DataFrame) -> tuple[Any, str]:
    """Map the missing values of ``table``: columns with gaps, in table order, under a bar of
    each one's missing share; complete columns are counted in the title.

    Args:
        table: Any table (the reports pass the train split before imputation).

    Returns:
        The matplotlib ``Figure`` and the same figure as a base64 PNG for the HTML report.
    """
    import base64
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    missing = table.isna()
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
        _draw_gaps(figure, missing, shown)
    figure.suptitle(
        f"Missing values before cleaning: {len(shown)} of {total_columns} columns have gaps "
        f"({int(missing.to_numpy().sum())} cells in {rows} rows)"
        if shown
        else "Missing values before cleaning"
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return figure, base64.b64encode(buffer.getvalue()).decode("ascii")


def _draw_gaps(figure: Any, missing: pd.DataFrame, shown: list[str]) -> None:
    """The missing share of each column with gaps (top) above the map of its missing cells."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    share_axes, map_axes = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4]})
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
