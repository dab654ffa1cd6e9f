"""Rolling-origin backtests of every configured model, their metrics and the leaderboard.

Every model is refitted from scratch at each origin on the points before it, SARIMA's
transform, ``d``/``D`` and order search included, so no fold sees its own test window. A
model that fails at any origin of a series is dropped for that series (and recorded), so
the models a leaderboard compares were all scored on the same folds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from roadmap_pipelines.ml.forecasting.forecasters import (
    PER_SERIES_MODELS,
    forecast_model,
)
from roadmap_pipelines.ml.forecasting.metrics import (
    METRICS,
    forecast_metrics,
    mase_scale,
)
from roadmap_pipelines.ml.forecasting.series import Series, failure, fold_cutoffs
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

OVERALL = "__overall__"
ERROR_COLUMNS = ["series_id", "model", "fold", "step", "timestamp", "actual", "forecast"]
METRIC_COLUMNS = ["series_id", "model", "fold", "cutoff", *METRICS]
LEADERBOARD_COLUMNS = ["series_id", "model", *METRICS, "n_series", "rank", "best"]


def cutoffs_for(series: Series, params: ModellingTimeseriesParams) -> list[int]:
    backtest = params.backtest
    return fold_cutoffs(len(series), backtest.folds, backtest.horizon, backtest.step)


def _error_rows(
    series: Series, model: str, fold: int, cutoff: int, forecast: np.ndarray
) -> list[dict[str, Any]]:
    forecast = np.asarray(forecast, dtype=float)
    if not np.all(np.isfinite(forecast)):
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
        }
        for step, value in enumerate(forecast, start=1)
    ]


def backtest_series(
    series: Series, params: ModellingTimeseriesParams
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Backtest SARIMA and the baselines (as configured) on one series.

    Returns:
        Error rows (one per model, fold and step) and failure records.
    """
    horizon = params.backtest.horizon
    rows, failures = [], []
    for name in (model for model in params.models if model in PER_SERIES_MODELS):
        model_rows, fold = [], 0
        try:
            for fold, cutoff in enumerate(cutoffs_for(series, params), start=1):
                forecast, _, _ = forecast_model(
                    name,
                    series.series_id,
                    series.values[:cutoff],
                    series.season_length,
                    horizon,
                    params,
                )
                model_rows += _error_rows(series, name, fold, cutoff, forecast.mean)
        except Exception as error:  # noqa: BLE001 - the model is dropped for this series only
            reason = f"fold {fold}: {type(error).__name__}: {error}"
            failures.append(failure(series.series_id, "backtest", reason, name))
            continue
        rows += model_rows
    return rows, failures


def backtest_lightgbm(
    series: list[Series], params: ModellingTimeseriesParams, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Backtest the global LightGBM model: one fit per fold on every series' training part."""
    from roadmap_pipelines.ml.forecasting.global_lightgbm import (
        fit_global,
        forecast_global,
    )

    horizon = params.backtest.horizon
    rows, fold = [], 0
    try:
        for fold in range(1, params.backtest.folds + 1):
            windows = []
            for item in series:
                cutoff = cutoffs_for(item, params)[fold - 1]
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
            forecasts = forecast_global(model, windows, horizon)
            for item, window in zip(series, windows, strict=True):
                rows += _error_rows(item, "lightgbm", fold, len(window), forecasts[item.series_id])
    except Exception as error:  # noqa: BLE001 - the global model fails for every series
        reason = f"fold {fold}: {type(error).__name__}: {error}"
        return [], [failure(item.series_id, "backtest", reason, "lightgbm") for item in series]
    return rows, []


def metrics_table(
    errors: pd.DataFrame, series: dict[str, Series], params: ModellingTimeseriesParams
) -> pd.DataFrame:
    """MAE, RMSE, MAPE, sMAPE and MASE per series, model and fold."""
    rows = []
    for (series_id, model, fold), window in errors.groupby(
        ["series_id", "model", "fold"], sort=True
    ):
        item = series[series_id]
        cutoff = cutoffs_for(item, params)[fold - 1]
        scale = mase_scale(item.values[:cutoff], item.season_length)
        rows.append(
            {
                "series_id": series_id,
                "model": model,
                "fold": int(fold),
                "cutoff": item.timestamps[cutoff - 1],
                **forecast_metrics(window["actual"], window["forecast"], scale),
            }
        )
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def _ranked(means: pd.DataFrame, params: ModellingTimeseriesParams) -> pd.DataFrame:
    """Rank the models of one series (or overall) by the selection metric, lowest first."""
    order = {name: position for position, name in enumerate(params.models)}
    means = means.assign(
        _missing=means[params.selection_metric].isna(),
        _order=means["model"].map(order),
    ).sort_values(["_missing", params.selection_metric, "_order"], kind="stable")
    means["rank"] = np.arange(1, len(means) + 1)
    means["best"] = means["rank"] == 1
    return means.drop(columns=["_missing", "_order"])


def leaderboard(metrics: pd.DataFrame, params: ModellingTimeseriesParams) -> pd.DataFrame:
    """Mean metrics over folds per series and model, ranked; then the same over all series.

    The ``__overall__`` rows average the per-series means over the series each model
    covers (``n_series``); MAE and RMSE are in each series' units, so compare those within a
    series and use MASE or sMAPE across series.
    """
    if metrics.empty:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    per_series = metrics.groupby(["series_id", "model"], sort=True)[list(METRICS)].mean()
    per_series = per_series.reset_index().assign(n_series=1)
    parts = [_ranked(group, params) for _, group in per_series.groupby("series_id", sort=True)]
    overall = per_series.groupby("model", sort=True).agg(
        {**{name: "mean" for name in METRICS}, "n_series": "sum"}
    )
    parts.append(_ranked(overall.reset_index().assign(series_id=OVERALL), params))
    table = pd.concat(parts, ignore_index=True)[LEADERBOARD_COLUMNS]
    return table.astype({"n_series": "int64", "rank": "int64", "best": "bool"})
