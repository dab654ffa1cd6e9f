"""Exploratory analysis of the cleaned time series: STL decomposition and autocorrelation.

Computed from ``timeseries_clean`` and ``timeseries_summary`` (each series' season length)
only, so it does not wait for, or depend on, the time-series models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.ml.reports.figures import BASELINE_GREY, colour, rounded
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

COMPONENTS = ("observed", "trend", "seasonal", "resid")
LOWESS_FRACTION = 1 / 3


def _series(
    series: pd.DataFrame, columns: TimeSeriesParams, limit: int
) -> list[tuple[str, pd.DataFrame]]:
    """The first ``limit`` series by id, each sorted by time."""
    ids = sorted(series[columns.id_column].astype(str).unique())[:limit]
    return [
        (
            series_id,
            series.loc[series[columns.id_column].astype(str) == series_id].sort_values(
                columns.time_column, kind="stable"
            ),
        )
        for series_id in ids
    ]


def _season_length(summary: dict[str, Any], series_id: str) -> int:
    return int((summary.get(series_id) or {}).get("season_length") or 1)


def decompose_series(
    series: pd.DataFrame,
    summary: dict[str, Any],
    columns: TimeSeriesParams,
    params: ReportingParams,
) -> pd.DataFrame:
    """Split each series into trend, seasonal and remainder with STL (statsmodels).

    The period is the series' ``season_length`` from the time-series summary. A series with
    no season (length 1) or shorter than two seasons gets a LOWESS trend (a third of its
    points wide) and no seasonal component. ``observed = trend + seasonal + resid`` holds for
    every point.

    Args:
        series: ``timeseries_clean``, the regular long table.
        summary: ``timeseries_summary`` (``season_length`` per series id).
        columns: ``preprocessing.timeseries`` parameters (id, time and value columns).
        params: ``reporting`` parameters (``max_series_plotted``, ``stl_robust``).

    Returns:
        ``series_id``, ``timestamp``, ``period`` and the four components, rounded to 6
        decimals, by series id and time.
    """
    import numpy as np
    import pandas as pd
    from statsmodels.nonparametric.smoothers_lowess import lowess
    from statsmodels.tsa.seasonal import STL

    tables = []
    for series_id, points in _series(series, columns, params.max_series_plotted):
        values = points[columns.value_column].to_numpy("float64")
        period = _season_length(summary, series_id)
        if period >= 2 and len(values) >= 2 * period:
            fit = STL(values, period=period, robust=params.stl_robust).fit()
            trend, seasonal = np.asarray(fit.trend), np.asarray(fit.seasonal)
        else:
            period = 1
            positions = np.arange(len(values), dtype="float64")
            trend = lowess(values, positions, frac=LOWESS_FRACTION, return_sorted=False)
            seasonal = np.zeros(len(values))
        tables.append(
            pd.DataFrame(
                {
                    "series_id": series_id,
                    "timestamp": points[columns.time_column].to_numpy(),
                    "period": period,
                    "observed": values,
                    "trend": trend,
                    "seasonal": seasonal,
                    "resid": values - trend - seasonal,
                }
            )
        )
    if not tables:
        return pd.DataFrame(columns=["series_id", "timestamp", "period", *COMPONENTS])
    table = pd.concat(tables, ignore_index=True)
    for name in COMPONENTS:
        table[name] = np.round(table[name].to_numpy("float64"), 6)
    return table


def plot_decomposition(components: pd.DataFrame) -> Any:
    """Draw each series' STL components: one row per series, one column per component.

    Args:
        components: ``decompose_series`` output.

    Returns:
        A plotly ``Figure`` of (series x 4) subplots: observed, trend, seasonal and remainder,
        the remainder as bars around zero.
    """
    from plotly.subplots import make_subplots

    ids = list(dict.fromkeys(components["series_id"]))
    rows = max(len(ids), 1)
    titles = []
    for series_id in ids:
        period = int(components.loc[components["series_id"] == series_id, "period"].iloc[0])
        season = f"STL, period {period}" if period > 1 else "LOWESS trend, no season"
        titles += [f"{series_id}: observed ({season})", "trend", "seasonal", "remainder"]
    figure = make_subplots(
        rows=rows,
        cols=len(COMPONENTS),
        subplot_titles=titles or None,
        shared_xaxes="rows",
        horizontal_spacing=0.04,
        vertical_spacing=min(0.25 / rows + 0.02, 1 / max(rows - 1, 1)),
    )
    for row, series_id in enumerate(ids, start=1):
        points = components.loc[components["series_id"] == series_id]
        x = timestamp_labels(points["timestamp"])
        for col, name in enumerate(COMPONENTS, start=1):
            trace = {
                "x": x,
                "y": rounded(points[name]),
                "name": f"{series_id} {name}",
                "marker_color": colour(col - 1),
                "showlegend": False,
                "row": row,
                "col": col,
            }
            if name == "resid":
                figure.add_bar(**trace)
            else:
                figure.add_scatter(mode="lines", **trace)
    figure.update_layout(
        title="Time series decomposition: observed = trend + seasonal + remainder",
        height=230 * rows + 120,
        bargap=0,
    )
    figure.update_annotations(font_size=12)
    return figure


def plot_autocorrelation(
    series: pd.DataFrame,
    summary: dict[str, Any],
    columns: TimeSeriesParams,
    params: ReportingParams,
) -> Any:
    """Draw the autocorrelation (ACF) and partial autocorrelation (PACF) of each series.

    statsmodels' ``acf`` (``adjusted=False``) and ``pacf`` (Yule-Walker without bias
    correction, ``method="ywm"``, as R's ``pacf``) of the observed values, lags 1 to
    ``acf_lags`` (at most half the series less one). The dashed band is ±1.96/√n, where a
    white-noise series' coefficients fall 95% of the time; seasonal lags are marked.

    Args:
        series: ``timeseries_clean``.
        summary: ``timeseries_summary`` (``season_length`` per series id).
        columns: ``preprocessing.timeseries`` parameters.
        params: ``reporting`` parameters (``acf_lags``, ``max_series_plotted``).

    Returns:
        A plotly ``Figure`` of (series x 2) subplots, ACF left and PACF right, as bars.
    """
    import numpy as np
    from plotly.subplots import make_subplots
    from statsmodels.tsa.stattools import acf, pacf

    chosen = _series(series, columns, params.max_series_plotted)
    rows = max(len(chosen), 1)
    titles = [f"{series_id}: {kind}" for series_id, _ in chosen for kind in ("ACF", "PACF")]
    figure = make_subplots(
        rows=rows,
        cols=2,
        subplot_titles=titles or None,
        horizontal_spacing=0.08,
        vertical_spacing=min(0.25 / rows + 0.02, 1 / max(rows - 1, 1)),
    )
    for row, (series_id, points) in enumerate(chosen, start=1):
        values = points[columns.value_column].to_numpy("float64")
        lags = min(params.acf_lags, len(values) // 2 - 1)
        if lags < 1:
            continue
        period = _season_length(summary, series_id)
        band = 1.96 / np.sqrt(len(values))
        for col, coefficients in enumerate(
            (acf(values, nlags=lags, adjusted=False, fft=False), pacf(values, lags, "ywm")),
            start=1,
        ):
            steps = list(range(1, lags + 1))
            figure.add_bar(
                x=steps,
                y=rounded(coefficients[1:]),
                marker_color=[
                    colour(1) if period > 1 and step % period == 0 else colour(0) for step in steps
                ],
                name=f"{series_id} {'ACF' if col == 1 else 'PACF'}",
                showlegend=False,
                row=row,
                col=col,
            )
            for level in (band, -band):
                figure.add_scatter(
                    x=[0.5, lags + 0.5],
                    y=rounded([level, level]),
                    mode="lines",
                    line={"dash": "dash", "color": BASELINE_GREY, "width": 1},
                    hoverinfo="skip",
                    showlegend=False,
                    row=row,
                    col=col,
                )
        figure.update_yaxes(range=[-1, 1], row=row)
    figure.update_layout(
        title="Autocorrelation of each series (red: seasonal lags; dashed: ±1.96/√n)",
        height=220 * rows + 120,
        bargap=0.3,
    )
    figure.update_annotations(font_size=12)
    return figure
