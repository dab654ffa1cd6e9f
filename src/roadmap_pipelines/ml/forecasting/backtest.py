"""Rolling-origin backtests of every configured model, their metrics and the leaderboard.

Every model is refitted at each origin on the points before it, SARIMA's transform,
``d``/``D`` and order search included, so no fold sees its own test window; with
``arima.warm_start`` SARIMA's exact fits of the previous origin's orders start from that
origin's estimates (fewer likelihood evaluations, the same order choice in the tests). A
model that fails at any origin of a series is dropped for that series (and recorded), so
the models a leaderboard compares were all scored on the same folds. Each series has its own
folds and backtest horizon (``Series.cutoffs``, planned from its frequency's settings);
folds are numbered per series, oldest first, the last one ending at the last point.

The ``combination`` model is the mean (or median) of the best ``selection.size`` of
``selection.candidates`` per series, ranked by their mean ``selection_metric`` over the
folds. Its backtest forecasts are the same combination of its members' backtest forecasts,
so it is scored on the same folds as every other model; ``members`` names them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.forecasting.forecasters import (
    PER_SERIES_MODELS,
    ArimaModel,
    Forecast,
    forecast_model,
)
from roadmap_pipelines.ml.forecasting.metrics import (
    METRICS,
    forecast_metrics,
    mase_scale,
)
from roadmap_pipelines.ml.forecasting.series import Series, failure
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

OVERALL = "__overall__"
COMBINATION = "combination"
BOUNDS = ["lower_80", "upper_80", "lower_95", "upper_95"]
# the bounds are each model's own intervals (empty for lightgbm, whose intervals come from
# these errors); intervals.py calibrates the delivered intervals on them
ERROR_COLUMNS = ["series_id", "model", "fold", "step", "timestamp", "actual", "forecast", *BOUNDS]
METRIC_COLUMNS = ["series_id", "model", "members", "fold", "cutoff", *METRICS]
LEADERBOARD_COLUMNS = ["series_id", "model", "members", *METRICS, "n_series", "rank", "best"]
MEMBER_SEPARATOR = "+"


def _error_rows(
    series: Series, model: str, fold: int, cutoff: int, forecast: Forecast | np.ndarray
) -> list[dict[str, Any]]:
    import numpy as np

    if isinstance(forecast, Forecast):
        mean = np.asarray(forecast.mean, dtype=float)
        bounds = {name: np.asarray(getattr(forecast, name), dtype=float) for name in BOUNDS}
    else:
        mean = np.asarray(forecast, dtype=float)
        bounds = {name: np.full(len(mean), np.nan) for name in BOUNDS}
    if not np.all(np.isfinite(mean)):
        raise ValueError(f"the forecast from origin {cutoff} is not finite")
    return [
        {
            "series_id": series.series_id,
            "model": model,
            "fold": fold,
            "step": step,
            "timestamp": series.timestamps[cutoff + step - 1],
            "actual": float(series.values[cutoff + step - 1]),
            "forecast": float(value),
            **{name: float(bounds[name][step - 1]) for name in BOUNDS},
        }
        for step, value in enumerate(mean, start=1)
    ]


def backtest_series(
    series: Series, params: ModellingTimeseriesParams
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Backtest SARIMA and the baselines (as configured) on one series.

    Returns:
        Error rows (one per model, fold and step) and failure records.
    """
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    if not series.cutoffs:
        return rows, failures  # baselines only (ts_series_status says why)
    for name in (model for model in params.models if model in PER_SERIES_MODELS):
        model_rows, fold, previous = [], 0, None
        try:
            for fold, cutoff in enumerate(series.cutoffs, start=1):
                forecast, _, fitted = forecast_model(
                    name,
                    series.series_id,
                    series.values[:cutoff],
                    series.season_length,
                    series.backtest_horizon,
                    params,
                    warm_start=previous,
                )
                if isinstance(fitted, ArimaModel) and params.arima.warm_start:
                    previous = fitted.fit
                model_rows += _error_rows(series, name, fold, cutoff, forecast)
        except Exception as error:  # noqa: BLE001 - the model is dropped for this series only
            reason = f"fold {fold}: {type(error).__name__}: {error}"
            failures.append(failure(series.series_id, "backtest", reason, name))
            continue
        rows += model_rows
    return rows, failures


def backtest_lightgbm(
    series: list[Series], params: ModellingTimeseriesParams, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Backtest the global LightGBM model: one fit per fold on every series' training part.

    Folds are aligned from the end: the ``k``-th fit uses every series' ``k``-th fold from
    its last, so series with fewer folds join only the later fits.
    """
    from roadmap_pipelines.ml.forecasting.global_lightgbm import (
        fit_global,
        forecast_global,
    )

    series = [item for item in series if item.cutoffs]
    if not series:
        return [], []
    rows, fold = [], 0
    try:
        for back in range(max(len(item.cutoffs) for item in series), 0, -1):
            members = [item for item in series if len(item.cutoffs) >= back]
            windows = []
            for item in members:
                cutoff = item.cutoffs[len(item.cutoffs) - back]
                windows.append(
                    Series(
                        item.series_id,
                        item.timestamps[:cutoff],
                        item.values[:cutoff],
                        item.frequency,
                        item.season_length,
                    )
                )
            model = fit_global(windows, params.lightgbm, seed)
            horizon = max(item.backtest_horizon for item in members)
            forecasts = forecast_global(model, windows, horizon)
            for item, window in zip(members, windows, strict=True):
                fold = len(item.cutoffs) - back + 1
                forecast = forecasts[item.series_id][: item.backtest_horizon]
                rows += _error_rows(item, "lightgbm", fold, len(window), forecast)
    except Exception as error:  # noqa: BLE001 - the global model fails for every series
        reason = f"fold {fold}: {type(error).__name__}: {error}"
        return [], [failure(item.series_id, "backtest", reason, "lightgbm") for item in series]
    return rows, []


def metrics_table(
    errors: pd.DataFrame, series: dict[str, Series], members: dict[str, list[str]]
) -> pd.DataFrame:
    """MAE, RMSE, MAPE, sMAPE and MASE per series, model and fold.

    Args:
        errors: Backtest error rows.
        series: The series by id.
        members: Each series' combination members (for the ``members`` column).
    """
    import pandas as pd

    rows = []
    for (series_id, model, fold), window in errors.groupby(
        ["series_id", "model", "fold"], sort=True
    ):
        item = series[series_id]
        cutoff = item.cutoffs[fold - 1]
        scale = mase_scale(item.values[:cutoff], item.season_length)
        named = MEMBER_SEPARATOR.join(members[series_id]) if model == COMBINATION else None
        rows.append(
            {
                "series_id": series_id,
                "model": model,
                "members": named,
                "fold": int(fold),
                "cutoff": item.timestamps[cutoff - 1],
                **forecast_metrics(window["actual"], window["forecast"], scale),
            }
        )
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def combination_members(
    metrics: pd.DataFrame, params: ModellingTimeseriesParams
) -> dict[str, list[str]]:
    """Per series, the best ``selection.size`` candidates by mean ``selection_metric``.

    Only candidates scored on every fold of the series count, and only those within
    ``selection.max_ratio`` times the best candidate's score (a model that fails badly on a
    series, e.g. ETS on the sunspot cycle, would drag the mean down); ties go in ``models``
    order. A series with fewer than two such candidates has no combination.
    """
    import numpy as np

    selection = params.selection
    order = {name: position for position, name in enumerate(params.models)}
    candidates = metrics.loc[metrics["model"].isin(selection.candidates)]
    means = candidates.groupby(["series_id", "model"], sort=True)[params.selection_metric].mean()
    members = {}
    for series_id, scores in means.groupby(level="series_id", sort=True):
        ranked = sorted(
            scores.droplevel("series_id").items(),
            key=lambda item: (np.isnan(item[1]), item[1], order[item[0]]),
        )
        limit = ranked[0][1] * selection.max_ratio
        chosen = [name for name, score in ranked[: selection.size] if score <= limit]
        if len(chosen) >= 2:
            members[str(series_id)] = sorted(chosen, key=order.__getitem__)
    return members


def combination_errors(
    errors: pd.DataFrame, members: dict[str, list[str]], params: ModellingTimeseriesParams
) -> pd.DataFrame:
    """The combination's backtest error rows: its members' forecasts combined per step.

    Interval bounds combine like the final forecast's (``combine_forecasts``); they are empty
    where a member has none (lightgbm), as pandas would otherwise skip that member.
    """
    import pandas as pd

    parts = []
    for series_id, names in sorted(members.items()):
        own = errors.loc[(errors["series_id"] == series_id) & errors["model"].isin(names)]
        groups = own.groupby(["fold", "step"], sort=True)
        combined = groups.agg(
            timestamp=("timestamp", "first"),
            actual=("actual", "first"),
            forecast=("forecast", params.selection.combine),
            **{name: (name, params.selection.combine) for name in BOUNDS},
        )
        missing = own[BOUNDS].isna().groupby([own["fold"], own["step"]], sort=True).any()
        combined[BOUNDS] = combined[BOUNDS].mask(missing)
        parts.append(combined.reset_index().assign(series_id=series_id, model=COMBINATION))
    if not parts:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    return pd.concat(parts, ignore_index=True)[ERROR_COLUMNS]


def delivered_first(method: str, overall: pd.DataFrame) -> str | None:
    """The model every series delivers when it has it, or ``None`` for per-series rank 1.

    ``combination``: the combination; ``overall``: the model ranked first over all series
    (``overall`` holds the ranked ``__overall__`` rows); ``best``: none.
    """
    if method == COMBINATION:
        return COMBINATION
    if method == "overall" and not overall.empty:
        return str(overall.sort_values("rank")["model"].iloc[0])
    return None


def _ranked(means: pd.DataFrame, params: ModellingTimeseriesParams) -> pd.DataFrame:
    """Rank the models of one series (or overall) by the selection metric, lowest first."""
    import numpy as np

    order = {name: position for position, name in enumerate([*params.models, COMBINATION])}
    means = means.assign(
        _missing=means[params.selection_metric].isna(),
        _order=means["model"].map(order),
    ).sort_values(["_missing", params.selection_metric, "_order"], kind="stable")
    means["rank"] = np.arange(1, len(means) + 1)
    means["best"] = means["rank"] == 1
    return means.drop(columns=["_missing", "_order"])


def leaderboard(metrics: pd.DataFrame, params: ModellingTimeseriesParams) -> pd.DataFrame:
    """Mean metrics over folds per series and model, ranked; then the same over all series.

    ``best`` marks the model a series delivers (``delivered_first``: the overall winner or
    the combination when the series has it, else its rank 1). The ``combination`` rows name
    their ``members`` (e.g. ``arima+ets``), which may differ between series. The
    ``__overall__`` rows average the per-series means over the series each model covers
    (``n_series``); MAE and RMSE are in each series' units, so compare those within a series
    and use MASE or sMAPE across series.
    """
    import pandas as pd

    if metrics.empty:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    per_series = metrics.groupby(["series_id", "model"], sort=True).agg(
        {"members": "first", **{name: "mean" for name in METRICS}}
    )
    per_series = per_series.reset_index().assign(n_series=1)
    parts = [_ranked(group, params) for _, group in per_series.groupby("series_id", sort=True)]
    overall = per_series.groupby("model", sort=True).agg(
        {**{name: "mean" for name in METRICS}, "n_series": "sum"}
    )
    overall = _ranked(overall.reset_index().assign(series_id=OVERALL, members=None), params)
    preferred = delivered_first(params.selection.method, overall)
    if preferred is not None:
        # `best` marks what each series delivers: the preferred model whenever it has one
        parts = [
            part.assign(best=part["model"] == preferred)
            if (part["model"] == preferred).any()
            else part
            for part in parts
        ]
    parts.append(overall)
    table = pd.concat(parts, ignore_index=True)[LEADERBOARD_COLUMNS]
    return table.astype({"n_series": "int64", "rank": "int64", "best": "bool"})
