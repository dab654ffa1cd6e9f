"""Prediction intervals calibrated on the backtest: each model's own intervals, rescaled.

A model's Gaussian intervals leave out its parameter and model uncertainty, and a
combination's averaged bounds are no wider than its members' although the combination is
not their model: on real series their 80% intervals held 62% of the outcomes. So every
backtest forecast is kept with its intervals (``ts_backtest_errors``), and each outcome is
measured in units of its own interval's half-width on the side it fell: ``r = (y - f) /
(upper_L - f)`` above the forecast ``f``, ``(f - y) / (f - lower_L)`` below (``r <= 1``: inside).
These ratios are pooled per model and step ahead over every series and fold (they are free
of the series' units), and the factor ``k_L(h)`` is their split-conformal quantile, the
``ceil((n + 1) L)``-th smallest of ``n``: per step, because the models' own widths grow too
slowly with the horizon on real series (the 80% factor rose from about 0.8 at one step to 1.5
at twelve). The delivered bounds are ``f - k_L(h) (f - lower_L)`` and ``f + k_L(h) (upper_L -
f)``: the model's shape (asymmetric after a log transform) at the width the backtest showed
it needs, wider or narrower.

A step with too few finite ratios for a level (``ceil((n + 1) L) > n``; 19 are needed at
95%), or beyond the backtest horizon, takes the factor of all steps pooled; a model with too
few even then keeps its own intervals (factor 1). lightgbm's intervals are already conformal
(``global_lightgbm.py``) and are left alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.forecasting.forecasters import LEVELS, Forecast

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

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
    import numpy as np

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


def conformal_factor(ratios: np.ndarray, level: int) -> float | None:
    """The split-conformal quantile of ``ratios`` at ``level`` %, ``None`` if there are too few."""
    import numpy as np

    values = np.sort(ratios[~np.isnan(ratios)])
    rank = math.ceil((len(values) + 1) * level / 100)
    if rank > len(values) or not np.isfinite(values[rank - 1]):
        return None
    return float(values[rank - 1])


@dataclass(frozen=True)
class IntervalScale:
    """One model's factors per level: per step ahead and over all steps (the fallback)."""

    pooled: dict[int, float]
    steps: dict[int, tuple[float, ...]]

    def factors(self, level: int, horizon: int) -> np.ndarray:
        """The factor of each of ``horizon`` steps at ``level``."""
        import numpy as np

        own = self.steps.get(level, ())
        fallback = self.pooled.get(level, 1.0)
        return np.array([own[h] if h < len(own) else fallback for h in range(horizon)])

    def summary(self) -> dict[str, Any]:
        """JSON-ready: the pooled factor and the per-step factors of each level."""
        return {
            str(level): {"pooled": self.pooled[level], "steps": list(self.steps[level])}
            for level in LEVELS
        }


def _model_scale(rows: pd.DataFrame) -> IntervalScale:
    pooled, steps = {}, {}
    for level in LEVELS:
        ratios = interval_ratios(rows, level)
        pooled[level] = conformal_factor(ratios, level) or 1.0
        per_step = []
        step_of_row = rows["step"].to_numpy()
        for step in range(1, int(step_of_row.max()) + 1):
            found = conformal_factor(ratios[step_of_row == step], level)
            per_step.append(found if found is not None else pooled[level])
        steps[level] = tuple(per_step)
    return IntervalScale(pooled=pooled, steps=steps)


def scale_factors(errors: pd.DataFrame) -> dict[str, IntervalScale]:
    """Each model's ``IntervalScale`` from the backtest rows of every series (not lightgbm).

    Args:
        errors: ``ts_backtest_errors`` with internal column names.
    """
    return {
        str(model): _model_scale(rows)
        for model, rows in errors.groupby("model", sort=True)
        if model not in UNCALIBRATED and not rows.empty
    }


def rescale(forecast: Forecast, scale: IntervalScale | None) -> Forecast:
    """The forecast with each level's bounds moved its step's factor times as far from it.

    The 95% interval is kept at least as wide as the 80% one.
    """
    import numpy as np

    if scale is None:
        return forecast
    mean = forecast.mean
    bounds = {}
    for level in LEVELS:
        k = scale.factors(level, len(mean))
        bounds[f"lower_{level}"] = mean - k * (mean - getattr(forecast, f"lower_{level}"))
        bounds[f"upper_{level}"] = mean + k * (getattr(forecast, f"upper_{level}") - mean)
    bounds["lower_95"] = np.minimum(bounds["lower_95"], bounds["lower_80"])
    bounds["upper_95"] = np.maximum(bounds["upper_95"], bounds["upper_80"])
    return Forecast(mean=mean, **bounds)
