"""One LightGBM model for all series, on lag and calendar features, forecasting recursively.

Each series is divided by its *scale*, the mean absolute value of the last season of its
training window, so that series of any size share one model. For a point at time ``t`` the
features are the scaled values at ``t - lag`` for every ``lags`` entry and at ``t - k m`` for
every ``seasonal_lags`` entry ``k`` (season length ``m``), the configured calendar parts of
``t``, and ``m`` itself. The target is the scaled value (``level``), its change from ``t - 1``
(``difference``) or from ``t - m`` (``seasonal_difference``, the default: trees cannot
extrapolate a trend, differences can carry it). Forecasts are recursive: step ``h`` uses the
forecasts of steps ``1 … h-1`` as lags.

Intervals (split-conformal, symmetric): the absolute backtest errors of this model, each
divided by the series' MASE scale in its fold, are pooled over series and folds per step
ahead ``h``. The half-width at level ``L`` is the ``ceil((n + 1) L)``-th smallest of those
``n`` scores (the largest if that exceeds ``n``), made non-decreasing in ``h`` and multiplied
back by the series' MASE scale on its full history. With few series and folds (here 6 x 3)
the 95% bound is often the largest error seen: wide and honest, not precise.

LightGBM runs deterministically (``deterministic``, ``force_row_wise``, seed from
``random_state``) with ``n_jobs`` threads; the package sets ``OMP_WAIT_POLICY=passive`` on
import (``roadmap_pipelines/__init__.py``) so idle OpenMP threads do not spin on shared cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from roadmap_pipelines.ml.forecasting.forecasters import LEVELS, Forecast
from roadmap_pipelines.ml.forecasting.metrics import mase_scale
from roadmap_pipelines.ml.forecasting.series import Series
from roadmap_pipelines.params.modelling_timeseries import LightGBMParams

_CALENDAR = {
    "month": lambda index: index.month,
    "quarter": lambda index: index.quarter,
    "day_of_week": lambda index: index.dayofweek,
    "day_of_month": lambda index: index.day,
    "week_of_year": lambda index: index.isocalendar().week.to_numpy(),
    "hour": lambda index: index.hour,
}


@dataclass(frozen=True)
class GlobalModel:
    """A trained global model: LightGBM's text dump and what rebuilds its features."""

    booster: str
    settings: dict[str, Any]
    feature_names: list[str]
    n_training_rows: int

    def summary(self) -> dict[str, Any]:
        return {
            "params": self.settings,
            "features": self.feature_names,
            "n_training_rows": self.n_training_rows,
        }


def series_scale(values: np.ndarray, m: int) -> float:
    """Mean absolute value of the last season (1.0 if that is 0)."""
    scale = float(np.mean(np.abs(values[-max(m, 1) :])))
    return scale if scale > 0 else 1.0


def _feature_names(settings: LightGBMParams) -> list[str]:
    return (
        [f"lag_{lag}" for lag in settings.lags]
        + [f"seasonal_lag_{k}" for k in settings.seasonal_lags]
        + list(settings.calendar_features)
        + ["season_length"]
    )


def _lagged(z: np.ndarray, at: np.ndarray, lag: int) -> np.ndarray:
    source = at - lag
    out = np.full(len(at), np.nan)
    valid = source >= 0
    out[valid] = z[source[valid]]
    return out


def _features(
    z: np.ndarray, at: np.ndarray, stamps: pd.DatetimeIndex, m: int, settings: LightGBMParams
) -> np.ndarray:
    """Feature rows for positions ``at`` of scaled series ``z`` (timestamps ``stamps``)."""
    columns = [_lagged(z, at, lag) for lag in settings.lags]
    columns += [_lagged(z, at, k * m) for k in settings.seasonal_lags]
    columns += [
        np.asarray(_CALENDAR[name](stamps), dtype=float) for name in settings.calendar_features
    ]
    columns.append(np.full(len(at), float(m)))
    return np.column_stack(columns)


def _base_lag(settings: LightGBMParams, m: int) -> int:
    return {"level": 0, "difference": 1, "seasonal_difference": m}[settings.target]


def _target(z: np.ndarray, at: np.ndarray, base: int) -> np.ndarray:
    return z[at] - (z[at - base] if base else 0.0)


def fit_global(windows: list[Series], settings: LightGBMParams, seed: int) -> GlobalModel:
    """Train one model on every window (each scaled by its own last season)."""
    import lightgbm

    blocks, targets = [], []
    for window in windows:
        m = window.season_length
        z = window.values / series_scale(window.values, m)
        base = _base_lag(settings, m)
        at = np.arange(base, len(z))
        blocks.append(_features(z, at, window.timestamps[at], m, settings))
        targets.append(_target(z, at, base))
    x, y = np.vstack(blocks), np.concatenate(targets)
    names = _feature_names(settings)
    model = lightgbm.LGBMRegressor(
        n_estimators=settings.n_estimators,
        learning_rate=settings.learning_rate,
        num_leaves=settings.num_leaves,
        min_child_samples=settings.min_child_samples,
        n_jobs=settings.n_jobs,
        random_state=seed,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )
    model.fit(pd.DataFrame(x, columns=names), y)
    return GlobalModel(
        booster=model.booster_.model_to_string(),
        settings=settings.model_dump(mode="json"),
        feature_names=names,
        n_training_rows=len(y),
    )


def forecast_global(
    model: GlobalModel, windows: list[Series], horizon: int
) -> dict[str, np.ndarray]:
    """Recursive point forecasts of ``horizon`` steps for every window, on the original scale."""
    import lightgbm

    settings = LightGBMParams.model_validate(model.settings)
    booster = lightgbm.Booster(model_str=model.booster)
    states = []
    for window in windows:
        m = window.season_length
        scale = series_scale(window.values, m)
        future = pd.date_range(window.timestamps[-1], periods=horizon + 1, freq=window.frequency)[
            1:
        ]
        z = np.concatenate([window.values / scale, np.full(horizon, np.nan)])
        states.append((window, m, scale, future, z, len(window.values)))
    for step in range(horizon):
        rows = [
            _features(z, np.array([n + step]), future[step : step + 1], m, settings)
            for _, m, _, future, z, n in states
        ]
        predicted = booster.predict(np.vstack(rows))
        for (_, m, _, _, z, n), value in zip(states, predicted, strict=True):
            base = _base_lag(settings, m)
            z[n + step] = value + (z[n + step - base] if base else 0.0)
    return {window.series_id: z[n:] * scale for window, m, scale, _, z, n in states}


def conformal_half_widths(scores: pd.DataFrame, horizon: int) -> dict[int, np.ndarray]:
    """Scaled interval half-widths per level and step from backtest scores.

    Args:
        scores: Columns ``step`` and ``score`` (absolute error / MASE scale).
        horizon: Steps to cover.

    Returns:
        ``{level: half-widths for steps 1..horizon}`` in MASE-scale units.
    """
    widths = {}
    for level in LEVELS:
        per_step = []
        for step in range(1, horizon + 1):
            values = np.sort(scores.loc[scores["step"] == step, "score"].to_numpy())
            values = values[np.isfinite(values)]
            if len(values) == 0:
                per_step.append(np.nan)
                continue
            rank = min(len(values), math.ceil((len(values) + 1) * level / 100))
            per_step.append(values[rank - 1])
        widths[level] = np.maximum.accumulate(np.nan_to_num(np.array(per_step), nan=np.inf))
    return widths


def conformal_forecast(
    mean: np.ndarray, history: np.ndarray, m: int, widths: dict[int, np.ndarray]
) -> Forecast:
    """Symmetric intervals: ``mean ± half-width x MASE scale of the history``."""
    scale = mase_scale(history, m)
    half = {level: widths[level][: len(mean)] * scale for level in LEVELS}
    return Forecast(
        mean=mean,
        lower_80=mean - half[80],
        upper_80=mean + half[80],
        lower_95=mean - half[95],
        upper_95=mean + half[95],
    )
