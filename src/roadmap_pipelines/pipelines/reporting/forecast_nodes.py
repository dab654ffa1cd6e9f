"""Reports on the time-series forecasts: forecasts with intervals, backtest error by horizon and
the model comparison against the baselines.

They read the ``modelling_timeseries`` outputs, whose contract is:

* ``ts_forecasts``: ``series_id``, ``timestamp``, ``model``, ``forecast``, ``lower_80``,
  ``upper_80``, ``lower_95``, ``upper_95``;
* ``ts_backtest_errors``: ``series_id``, ``model``, ``fold``, ``step``, ``timestamp``,
  ``actual``, ``forecast``;
* ``ts_leaderboard``: ``series_id`` (``__overall__`` for all series together), ``model``,
  ``mae``, ``rmse``, ``mape``, ``smape``, ``mase``, ``rank``, ``best``;

and ``timeseries_clean`` / ``timeseries_summary`` for the actual values and season lengths.
The id and time columns are named as in ``preprocessing.timeseries`` (``series_id`` and
``timestamp`` as shipped), like every time-series output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.ml.reports.figures import (
    BASELINE_GREY,
    colour,
    grid,
    note,
    position,
    rounded,
)
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import np, pd

OVERALL = "__overall__"
HORIZON_COLUMNS = ["model", "step", "mae", "smape", "n"]  # after the id column


def _model_colours(models: list[str], baselines: list[str]) -> dict[str, str]:
    """A fixed colour per model (sorted by name); baselines in shades of grey."""
    greys = ("#7f7f7f", "#a6a6a6", "#c7c7c7", "#5f5f5f")
    colours, shade, grey = {}, 0, 0
    for model in sorted(models):
        if model in baselines:
            colours[model] = greys[grey % len(greys)]
            grey += 1
        else:
            colours[model] = colour(shade)
            shade += 1
    return colours


def _dash(model: str, baselines: list[str]) -> str:
    """Solid for models, a distinct dash pattern for each baseline."""
    if model not in baselines:
        return "solid"
    return ("dash", "dot", "dashdot", "longdash")[baselines.index(model) % 4]


def _best_models(leaderboard: pd.DataFrame, id_column: str) -> dict[str, str]:
    """Each series' best model: ``best`` marked, else rank 1, else the first by name."""
    ranked = leaderboard.assign(
        _id=leaderboard[id_column].astype(str),
        _best=~leaderboard["best"].astype(bool),
        _rank=leaderboard["rank"].astype("float64"),
    ).sort_values(["_id", "_best", "_rank", "model"], kind="stable")
    return ranked.groupby("_id", sort=True)["model"].first().astype(str).to_dict()


def plot_forecasts(
    forecasts: pd.DataFrame,
    leaderboard: pd.DataFrame,
    series: pd.DataFrame,
    summary: dict[str, Any],
    columns: TimeSeriesParams,
    params: ReportingParams,
) -> Any:
    """Draw each series' recent actual values and its forecasts with 80% and 95% intervals.

    The series' best model (``ts_leaderboard``) is drawn with its intervals as shaded bands;
    the other models as thin dotted lines. Actual values cover the last
    ``forecast_history_seasons`` seasons (at least twice the forecast horizon).

    Args:
        forecasts: ``ts_forecasts``.
        leaderboard: ``ts_leaderboard``.
        series: ``timeseries_clean``.
        summary: ``timeseries_summary`` (``season_length`` per series).
        columns: ``preprocessing.timeseries`` parameters.
        params: ``reporting`` parameters (``max_series_plotted``, ``forecast_history_seasons``,
            ``baseline_models``).

    Returns:
        A plotly ``Figure`` with one subplot per series, by id.
    """
    id_column, time_column = columns.id_column, columns.time_column
    ids = sorted(forecasts[id_column].astype(str).unique())[: params.max_series_plotted]
    if not ids:
        return note("Forecasts", "There are no forecasts.")
    best = _best_models(leaderboard, id_column)
    models = sorted(forecasts["model"].astype(str).unique())
    colours = _model_colours(models, params.baseline_models)
    titles = [f"{series_id} (best: {best.get(series_id, '?')})" for series_id in ids]
    figure = grid(titles, 1, row_height=260, title="Forecasts with 80% and 95% intervals")
    legend_shown: set[str] = set()
    for number, series_id in enumerate(ids):
        where = position(number, 1)
        own = forecasts.loc[forecasts[id_column].astype(str) == series_id]
        horizon = own.groupby("model")[time_column].nunique().max()
        season = int((summary.get(series_id) or {}).get("season_length") or 1)
        history = max(params.forecast_history_seasons * season, 2 * int(horizon))
        actual = series.loc[series[id_column].astype(str) == series_id]
        actual = actual.sort_values(time_column, kind="stable").tail(history)
        figure.add_scatter(
            x=timestamp_labels(actual[time_column]),
            y=rounded(actual[columns.value_column]),
            mode="lines",
            line={"color": "black", "width": 1.5},
            name="actual",
            legendgroup="actual",
            showlegend="actual" not in legend_shown,
            **where,
        )
        legend_shown.add("actual")
        chosen = best.get(series_id)
        for model in models:
            points = own.loc[own["model"].astype(str) == model].sort_values(time_column)
            if points.empty:
                continue
            x = timestamp_labels(points[time_column])
            if model == chosen:
                for level, opacity in (("95", 0.15), ("80", 0.3)):
                    lower, upper = points[f"lower_{level}"], points[f"upper_{level}"]
                    if lower.isna().all() or upper.isna().all():
                        continue
                    figure.add_scatter(
                        x=x + x[::-1],
                        y=rounded(upper) + rounded(lower)[::-1],
                        fill="toself",
                        fillcolor=colours[model],
                        opacity=opacity,
                        line={"width": 0},
                        hoverinfo="skip",
                        name=f"{level}% interval",
                        legendgroup=f"interval {level}",
                        showlegend=f"interval {level}" not in legend_shown,
                        **where,
                    )
                    legend_shown.add(f"interval {level}")
            figure.add_scatter(
                x=x,
                y=rounded(points["forecast"]),
                mode="lines",
                line={
                    "color": colours[model],
                    "width": 2.5 if model == chosen else 1,
                    "dash": "solid" if model == chosen else "dot",
                },
                name=model,
                legendgroup=model,
                showlegend=model not in legend_shown,
                **where,
            )
            legend_shown.add(model)
    return figure


def _smape_terms(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """2|e| / (|actual| + |forecast|), 0 where both are 0 (``modelling_timeseries.metrics``)."""
    import numpy as np

    error = np.abs(actual - forecast)
    denominator = np.abs(actual) + np.abs(forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 2.0 * error / denominator, 0.0)


def backtest_error_by_horizon(
    backtest_errors: pd.DataFrame, columns: TimeSeriesParams
) -> pd.DataFrame:
    """Mean backtest error of each model at each step ahead, per series and overall.

    Args:
        backtest_errors: ``ts_backtest_errors`` (one row per series, model, fold and step).
        columns: ``preprocessing.timeseries`` parameters (the id column).

    Returns:
        The id column, ``model``, ``step``, ``mae`` (mean absolute error over folds, in the
        series' units), ``smape`` (mean sMAPE, %) and ``n`` (forecasts averaged). The
        ``__overall__`` rows average the series' sMAPE with equal weight per series; their
        ``mae`` is empty, since series have different units. Rounded to 6 decimals, sorted by
        series, model and step.
    """
    import numpy as np
    import pandas as pd

    id_column = columns.id_column
    if backtest_errors.empty:
        return pd.DataFrame(columns=[id_column, *HORIZON_COLUMNS])
    actual = backtest_errors["actual"].to_numpy("float64")
    forecast = backtest_errors["forecast"].to_numpy("float64")
    errors = pd.DataFrame(
        {
            id_column: backtest_errors[id_column].astype(str).to_numpy(),
            "model": backtest_errors["model"].astype(str).to_numpy(),
            "step": backtest_errors["step"].astype(int).to_numpy(),
            "mae": np.abs(actual - forecast),
            "smape": 100.0 * _smape_terms(actual, forecast),
        }
    )
    keys = [id_column, "model", "step"]
    per_series = errors.groupby(keys, sort=True).agg(
        mae=("mae", "mean"), smape=("smape", "mean"), n=("mae", "size")
    )
    per_series = per_series.reset_index()
    overall = (
        per_series.groupby(["model", "step"], sort=True)
        .agg(smape=("smape", "mean"), n=("n", "sum"))
        .reset_index()
        .assign(**{id_column: OVERALL, "mae": np.nan})
    )
    names = [id_column, *HORIZON_COLUMNS]
    table = pd.concat([overall[names], per_series[names]], ignore_index=True)
    table["mae"] = rounded(table["mae"])
    table["smape"] = rounded(table["smape"])
    table["n"] = table["n"].astype(int)
    return table.reset_index(drop=True)


def plot_backtest_errors(
    by_horizon: pd.DataFrame, columns: TimeSeriesParams, params: ReportingParams
) -> Any:
    """Draw the backtest sMAPE of each model against the steps ahead: all series, then each.

    Args:
        by_horizon: ``backtest_error_by_horizon`` output.
        columns: ``preprocessing.timeseries`` parameters (the id column).
        params: ``reporting`` parameters (``max_series_plotted``, ``baseline_models``).

    Returns:
        A plotly ``Figure``: one subplot for all series together and one per series (two a
        row), a line per model; baselines dashed and grey.
    """
    if by_horizon.empty:
        return note("Backtest error by horizon", "There are no backtest errors.")
    id_column = columns.id_column
    ids = sorted(set(by_horizon[id_column]) - {OVERALL})[: params.max_series_plotted]
    panels = [OVERALL, *ids]
    titles = ["all series (mean of series)" if name == OVERALL else name for name in panels]
    figure = grid(
        titles, 2, row_height=260, title="Backtest error by horizon: sMAPE (%) per step ahead"
    )
    models = sorted(by_horizon["model"].unique())
    colours = _model_colours(models, params.baseline_models)
    for number, series_id in enumerate(panels):
        own = by_horizon.loc[by_horizon[id_column] == series_id]
        for model in models:
            points = own.loc[own["model"] == model].sort_values("step")
            if points.empty:
                continue
            figure.add_scatter(
                x=points["step"].astype(int).tolist(),
                y=rounded(points["smape"]),
                mode="lines+markers",
                line={"color": colours[model], "dash": _dash(model, params.baseline_models)},
                marker={"size": 4},
                name=model,
                legendgroup=model,
                showlegend=number == 0,
                **position(number, 2),
            )
    figure.update_yaxes(rangemode="tozero")
    return figure


def plot_model_comparison(
    leaderboard: pd.DataFrame, columns: TimeSeriesParams, params: ReportingParams
) -> Any:
    """Compare the forecasting models with the baselines on ``forecast_metric``.

    Args:
        leaderboard: ``ts_leaderboard``.
        columns: ``preprocessing.timeseries`` parameters (the id column).
        params: ``reporting`` parameters (``forecast_metric``, ``baseline_models``,
            ``max_series_plotted``).

    Returns:
        A plotly ``Figure``: left, every model's metric over all series, best first,
        baselines grey; right, a heatmap of each model's metric on each series divided by the
        best baseline's on that series (below 1: better than every baseline), with the metric
        itself in the hover text.
    """
    import numpy as np
    import pandas as pd
    from plotly.subplots import make_subplots

    metric = params.forecast_metric
    baselines = params.baseline_models
    if leaderboard.empty or metric not in leaderboard:
        return note("Model comparison", f"The leaderboard has no {metric}.")
    board = pd.DataFrame(
        {
            "series": leaderboard[columns.id_column].astype(str).to_numpy(),
            "model": leaderboard["model"].astype(str).to_numpy(),
            metric: leaderboard[metric].astype("float64").to_numpy(),
        }
    )
    overall = board.loc[board["series"] == OVERALL].sort_values([metric, "model"])
    per_series = board.loc[board["series"] != OVERALL]
    ids = sorted(per_series["series"].unique())[: params.max_series_plotted]
    models = sorted(board["model"].unique(), key=lambda m: (m in baselines, m))
    table = per_series.pivot_table(index="series", columns="model", values=metric).reindex(
        index=ids, columns=models
    )
    present = [name for name in baselines if name in table.columns]
    reference = table[present].min(axis=1) if present else pd.Series(np.nan, index=table.index)
    ratio = table.div(reference.replace(0, np.nan), axis=0)
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.4, 0.6],
        horizontal_spacing=0.12,
        subplot_titles=[
            f"{metric} over all series",
            f"{metric} ÷ best baseline's, per series",
        ],
    )
    figure.add_bar(
        x=overall["model"].tolist(),
        y=rounded(overall[metric]),
        marker_color=[BASELINE_GREY if m in baselines else colour(0) for m in overall["model"]],
        text=[None if pd.isna(v) else f"{v:.3g}" for v in overall[metric]],
        textposition="outside",
        name=metric,
        row=1,
        col=1,
    )
    figure.add_heatmap(
        z=[rounded(row) for row in ratio.to_numpy()],
        x=models,
        y=ids,
        zmin=0,
        zmid=1,
        zmax=2,
        colorscale="RdBu_r",
        texttemplate="%{z:.2f}",
        customdata=[rounded(row) for row in table.to_numpy()],
        hovertemplate=f"%{{y}}<br>%{{x}}<br>{metric} %{{customdata}}<br>÷ best baseline %{{z}}"
        "<extra></extra>",
        colorbar={"title": "ratio", "tickvals": [0, 0.5, 1, 1.5, 2]},
        name="ratio",
        row=1,
        col=2,
    )
    figure.update_yaxes(title_text=metric, row=1, col=1)
    figure.update_yaxes(autorange="reversed", row=1, col=2)
    figure.update_layout(
        title=f"Model comparison on backtests: {metric} (lower is better; grey: baselines)",
        height=max(420, 40 * len(ids) + 220),
        showlegend=False,
    )
    return figure
