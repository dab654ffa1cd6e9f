"""Refit every model on each series' whole history, forecast, and choose one per series.

With ``selection.method: combination`` (the default) a series delivers its ``combination``
(the mean or median of its members' forecasts and interval bounds) whenever it has one and
every member was refitted: on the real series of ``benchmarks/bench_timeseries.py`` it beat
every single model, where choosing one model on three folds lost accuracy to noise; with
``overall`` the model ranked first over all series (``__overall__``, the combination
included), chosen once for all; with ``best``, and as the fallback of the others, the
series' own rank 1. If that cannot be refitted on the whole history, the next-ranked model
that can takes its place (and ``ts_failures`` says so). A series without a backtest
(``baselines_only``) delivers seasonal naive if it holds two whole seasons, else naive.

Combined bounds average the members' bounds level by level (the quantile average, or their
median with ``combine: median``); the node then rescales them to the coverage the
combination's own backtest forecasts showed (``intervals.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.ml.forecasting.backtest import (
    COMBINATION,
    MEMBER_SEPARATOR,
    OVERALL,
    delivered_first,
)
from roadmap_pipelines.ml.forecasting.baselines import BASELINES
from roadmap_pipelines.ml.forecasting.fitted import FittedModel
from roadmap_pipelines.ml.forecasting.forecasters import (
    PER_SERIES_MODELS,
    Forecast,
    forecast_model,
)
from roadmap_pipelines.ml.forecasting.intervals import IntervalScale
from roadmap_pipelines.ml.forecasting.metrics import mase_scale
from roadmap_pipelines.ml.forecasting.series import Series, failure
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams, ModelName

if TYPE_CHECKING:
    import pandas as pd

FORECAST_COLUMNS = [
    "series_id",
    "timestamp",
    "model",
    "forecast",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "best",
]


def refit_series(
    series: Series, params: ModellingTimeseriesParams, differences: tuple[int, int] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Refit SARIMA and the baselines on the whole history and forecast (a parallel worker).

    Returns:
        ``{"forecasts": {model: Forecast}, "summaries": {model: dict}, "arima": ArimaModel}``
        and failure records.
    """
    result: dict[str, Any] = {"forecasts": {}, "summaries": {}, "fits": {}}
    failures = []
    names = [model for model in params.models if model in PER_SERIES_MODELS]
    if not series.cutoffs:  # baselines only: nothing was backtested to choose from
        names = sorted({fallback_baseline(series), *(name for name in names if name in BASELINES)})
    for name in names:
        searched = params.arima.method == "auto" and series.series_id not in params.arima.series
        if name == "arima" and differences is None and searched:
            reason = "no stationarity result to take d and D from (see its stationarity failure)"
            failures.append(failure(series.series_id, "refit", reason, name))
            continue
        try:
            forecast, summary, model = forecast_model(
                name,
                series.series_id,
                series.values,
                series.season_length,
                series.horizon,
                params,
                differences,
            )
            _check_finite(forecast)
        except Exception as error:  # noqa: BLE001 - this model only is lost for this series
            reason = f"{type(error).__name__}: {error}"
            failures.append(failure(series.series_id, "refit", reason, name))
            continue
        result["forecasts"][name] = forecast
        result["summaries"][name] = summary
        if model is not None:
            result["fits"][name] = model
    return result, failures


def fallback_baseline(series: Series) -> ModelName:
    """The baseline a series without a backtest delivers: seasonal naive given two seasons."""
    m = series.season_length
    return "seasonal_naive" if m > 1 and len(series) >= 2 * m else "naive"


def _check_finite(forecast: Forecast) -> None:
    import numpy as np

    if not all(np.all(np.isfinite(values)) for values in forecast.columns().values()):
        raise ValueError("the forecast or its intervals are not finite")


def lightgbm_scores(
    errors: pd.DataFrame, series: dict[str, Series], params: ModellingTimeseriesParams
) -> pd.DataFrame:
    """Absolute LightGBM backtest errors divided by each fold's MASE scale, with ``step``."""
    import numpy as np
    import pandas as pd

    errors = errors.loc[errors["model"] == "lightgbm"]
    scales = {
        (series_id, fold): mase_scale(item.values[:cutoff], item.season_length)
        for series_id, item in series.items()
        for fold, cutoff in enumerate(item.cutoffs, start=1)
    }
    scale = [
        scales.get(key, np.nan) for key in zip(errors["series_id"], errors["fold"], strict=True)
    ]
    score = (errors["actual"] - errors["forecast"]).abs().to_numpy() / np.asarray(
        scale, dtype=float
    )
    return pd.DataFrame({"step": errors["step"].to_numpy(), "score": score})


def refit_lightgbm(
    series: dict[str, Series], errors: pd.DataFrame, params: ModellingTimeseriesParams, seed: int
) -> tuple[dict[str, Forecast], Any, dict[int, list[float]] | None, list[dict[str, Any]]]:
    """Fit the global model on every whole history; intervals from its backtest errors.

    Series without a backtest are left out (they deliver a baseline).
    """
    from roadmap_pipelines.ml.forecasting.global_lightgbm import (
        conformal_forecast,
        conformal_half_widths,
        fit_global,
        forecast_global,
    )

    items = [item for item in series.values() if item.cutoffs]
    scores = lightgbm_scores(errors, series, params)
    if scores.empty:
        reason = "no backtest errors to calibrate its intervals (its backtest failed)"
        return (
            {},
            None,
            None,
            [failure(item.series_id, "refit", reason, "lightgbm") for item in items],
        )
    try:
        model = fit_global(items, params.lightgbm, seed)
        horizon = max(item.horizon for item in items)
        means = forecast_global(model, items, horizon)
        widths = conformal_half_widths(scores, horizon)
    except Exception as error:  # noqa: BLE001 - the global model fails for every series
        reason = f"{type(error).__name__}: {error}"
        return (
            {},
            None,
            None,
            [failure(item.series_id, "refit", reason, "lightgbm") for item in items],
        )
    forecasts, failures = {}, []
    for item in items:
        forecast = conformal_forecast(
            means[item.series_id][: item.horizon], item.values, item.season_length, widths
        )
        try:
            _check_finite(forecast)
        except ValueError as error:
            failures.append(failure(item.series_id, "refit", str(error), "lightgbm"))
            continue
        forecasts[item.series_id] = forecast
    plain_widths = {level: [float(value) for value in values] for level, values in widths.items()}
    return forecasts, model, plain_widths, failures


def members_of(leaderboard: pd.DataFrame) -> dict[str, list[str]]:
    """Each series' combination members, from the leaderboard's ``members`` column."""
    rows = leaderboard.loc[
        (leaderboard["model"] == COMBINATION) & (leaderboard["series_id"] != OVERALL)
    ]
    return {
        str(series_id): str(named).split(MEMBER_SEPARATOR)
        for series_id, named in zip(rows["series_id"], rows["members"], strict=True)
    }


def choose_best(
    leaderboard: pd.DataFrame,
    available: dict[str, set[str]],
    method: str,
    fallback: Mapping[str, str],
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The delivered model per series (see the module docstring).

    Args:
        leaderboard: ``ts_leaderboard`` with internal column names.
        available: The models refitted per series (``combination`` when all members were).
        method: ``selection.method``: ``combination``, ``overall`` or ``best``.
        fallback: The baseline of each series without a backtest.
    """
    best, failures = {}, []
    preferred = delivered_first(method, leaderboard.loc[leaderboard["series_id"] == OVERALL])
    ranked = leaderboard.loc[leaderboard["series_id"] != OVERALL].sort_values(["series_id", "rank"])
    for series_id, name in sorted(fallback.items()):
        if name in available.get(series_id, set()):
            best[series_id] = name
        else:
            reason = f"its baseline '{name}' could not be fitted"
            failures.append(failure(series_id, "refit", reason))
    for series_id, group in ranked.groupby("series_id", sort=True):
        models = list(group["model"])
        if preferred in models:
            models.remove(preferred)
            models.insert(0, preferred)
        usable = [name for name in models if name in available.get(series_id, set())]
        if not usable:
            reason = f"none of the ranked models {models} could be refitted on the whole history"
            failures.append(failure(series_id, "refit", reason))
            continue
        best[series_id] = usable[0]
        if usable[0] != models[0]:
            reason = (
                f"best model '{models[0]}' could not be refitted on the whole history; "
                f"forecasts use the next-ranked '{usable[0]}'"
            )
            failures.append(failure(series_id, "refit", reason, models[0]))
    return best, failures


def forecast_table(
    series: dict[str, Series], forecasts: dict[str, dict[str, Forecast]], best: dict[str, str]
) -> pd.DataFrame:
    """Long table of every model's forecasts; ``best`` marks each series' chosen model."""
    import pandas as pd

    frames = []
    for series_id in sorted(forecasts):
        item = series[series_id]
        for model in sorted(forecasts[series_id]):
            forecast = forecasts[series_id][model]
            frames.append(
                pd.DataFrame(
                    {
                        "series_id": series_id,
                        "timestamp": item.future(len(forecast.mean)),
                        "model": model,
                        **forecast.columns(),
                        "best": best.get(series_id) == model,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    return pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]


def fitted_model(
    item: Series,
    model: str,
    fits: dict[str, Any],
    lightgbm_model: Any,
    widths: dict[int, list[float]] | None,
    members: list[str],
    combine: str,
    interval_scale: IntervalScale | None = None,
) -> FittedModel:
    """The ``ts_models`` entry for a series' delivered model (a combination keeps its members)."""
    import numpy as np

    used = set(members) if model == COMBINATION else {model}
    return FittedModel(
        series_id=item.series_id,
        model=model,
        frequency=item.frequency,
        season_length=item.season_length,
        last_timestamp=timestamp_labels(item.timestamps[-1:])[0],
        history=np.array(item.values, dtype=float),
        arima=fits.get("arima") if "arima" in used else None,
        ets=fits.get("ets") if "ets" in used else None,
        theta=fits.get("theta") if "theta" in used else None,
        lightgbm=lightgbm_model if "lightgbm" in used else None,
        interval_widths=widths if "lightgbm" in used else None,
        members=tuple(members) if model == COMBINATION else (),
        combine=combine,
        interval_scale=interval_scale,
    )
