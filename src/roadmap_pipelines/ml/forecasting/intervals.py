"""Prediction intervals calibrated on the backtest: each model's own intervals, rescaled.

A model's Gaussian intervals leave out its parameter and model uncertainty, and a
combination's averaged bounds are no wider than its members' although the combination is
not their model: on real series their 80% intervals held 62% of the outcomes. So every
backtest forecast is kept with its intervals (``ts_backtest_errors``), and each outcome is
measured in units of its own interval's half-width on the side it fell: ``r = (y - f) /
(upper_L - f)`` above the forecast ``f``, ``(f - y) / (f - lower_L)`` below (``r <= 1``: inside).
These ratios are pooled per model over every series, fold and step (they are free of the
series' units and the horizon's growth, which the model's own widths already carry), and the
factor ``k_L`` is their split-conformal quantile, the ``ceil((n + 1) L)``-th smallest of
``n``. The delivered bounds are ``f - k_L (f - lower_L)`` and ``f + k_L (upper_L - f)``:
the model's shape (asymmetric after a log transform, growing with the horizon) at the width
the backtest showed it needs, wider or narrower.

A model with too few finite ratios for a level (``ceil((n + 1) L) > n``; 19 are needed at
95%) keeps its own intervals at that level (factor 1). lightgbm's intervals are already
conformal (``global_lightgbm.py``) and are left alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from roadmap_pipelines.ml.forecasting.forecasters import LEVELS, Forecast

UNCALIBRATED = ("lightgbm",)


def interval_ratios(errors: pd.DataFrame, level: int) -> np.ndarray:
    """Each backtest outcome's distance from its forecast in half-widths of its interval.

    Args:
        errors: Backtest rows with ``actual``, ``forecast``, ``lower_<level>``,
            ``upper_<level>``.
        level: 80 or 95.

    Returns:
        One ratio per row (``nan`` where the row has no interval); a zero-width side that
        the outcome missed gives ``inf``.
    """
    actual = errors["actual"].to_numpy(dtype=float)
    forecast = errors["forecast"].to_numpy(dtype=float)
    above = actual >= forecast
    distance = np.abs(actual - forecast)
    width = np.where(
        above,
        errors[f"upper_{level}"].to_numpy(dtype=float) - forecast,
        forecast - errors[f"lower_{level}"].to_numpy(dtype=float),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(width > 0, distance / np.where(width > 0, width, 1.0), np.inf)
    ratio[distance == 0] = 0.0
    ratio[np.isnan(width)] = np.nan
    return ratio


def conformal_factor(ratios: np.ndarray, level: int) -> float:
    """The split-conformal quantile of ``ratios`` at ``level`` %, or 1 if there are too few."""
    values = np.sort(ratios[~np.isnan(ratios)])
    rank = math.ceil((len(values) + 1) * level / 100)
    if rank > len(values) or not np.isfinite(values[rank - 1]):
        return 1.0
    return float(values[rank - 1])


def scale_factors(errors: pd.DataFrame) -> dict[str, dict[int, float]]:
    """``{model: {level: factor}}`` from the backtest rows of every series (lightgbm left out).

    Args:
        errors: ``ts_backtest_errors`` with internal column names.
    """
    factors = {}
    for model, rows in errors.groupby("model", sort=True):
        if model in UNCALIBRATED:
            continue
        factors[str(model)] = {
            level: conformal_factor(interval_ratios(rows, level), level) for level in LEVELS
        }
    return factors


def rescale(forecast: Forecast, factors: dict[int, float] | None) -> Forecast:
    """The forecast with each level's bounds moved ``factor`` times as far from the forecast.

    The 95% interval is kept at least as wide as the 80% one.
    """
    if not factors:
        return forecast
    mean = forecast.mean
    bounds = {}
    for level in LEVELS:
        k = factors.get(level, 1.0)
        bounds[f"lower_{level}"] = mean - k * (mean - getattr(forecast, f"lower_{level}"))
        bounds[f"upper_{level}"] = mean + k * (getattr(forecast, f"upper_{level}") - mean)
    bounds["lower_95"] = np.minimum(bounds["lower_95"], bounds["lower_80"])
    bounds["upper_95"] = np.maximum(bounds["upper_95"], bounds["upper_80"])
    return Forecast(mean=mean, **bounds)
