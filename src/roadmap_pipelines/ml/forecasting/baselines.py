"""Naive, seasonal naive and drift forecasts with the standard errors of R's ``forecast``.

With ``T`` observations ``y_1 … y_T``, season length ``m`` and ``h`` steps ahead:

* naive: ``ŷ = y_T``; ``σ = sqrt(mean((y_t - y_{t-1})²))``; ``se_h = σ sqrt(h)``;
* seasonal naive: ``ŷ = y_{T - m + 1 + (h - 1) mod m}``; ``σ = sqrt(mean((y_t - y_{t-m})²))``;
  ``se_h = σ sqrt(floor((h - 1) / m) + 1)``;
* drift: ``b = (y_T - y_1) / (T - 1)``, ``ŷ = y_T + h b``; ``σ`` is the standard deviation
  (``T - 2`` degrees of freedom) of the first differences, ``se(b) = σ / sqrt(T - 1)``;
  ``se_h = sqrt(h σ² + h² se(b)²)``.

These are ``forecast::naive``, ``snaive`` and ``rwf(drift = TRUE)``; intervals are normal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BASELINES = ("naive", "seasonal_naive", "drift")


def baseline_forecast(
    name: str, values: np.ndarray, m: int, horizon: int
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Forecast ``horizon`` steps with baseline ``name``.

    Args:
        name: ``naive``, ``seasonal_naive`` or ``drift``.
        values: The history.
        m: Season length (seasonal naive with ``m`` 1 is naive).
        horizon: Steps ahead.

    Returns:
        Forecast means, standard errors and the fitted parameters.

    Raises:
        ValueError: If the history is too short for the baseline.
    """
    import numpy as np

    y = np.asarray(values, dtype=float)
    steps = np.arange(1, horizon + 1)
    if name == "naive" or (name == "seasonal_naive" and m == 1):
        if len(y) < 2:
            raise ValueError("naive needs at least 2 points")
        sigma = math.sqrt(float(np.mean(np.diff(y) ** 2)))
        return np.full(horizon, y[-1]), sigma * np.sqrt(steps), {"sigma": sigma}
    if name == "seasonal_naive":
        if len(y) <= m:
            raise ValueError(f"seasonal naive needs more than one season ({m} points)")
        sigma = math.sqrt(float(np.mean((y[m:] - y[:-m]) ** 2)))
        mean = y[len(y) - m + (steps - 1) % m]
        return mean, sigma * np.sqrt((steps - 1) // m + 1), {"sigma": sigma}
    if name == "drift":
        if len(y) < 3:
            raise ValueError("drift needs at least 3 points")
        differences = np.diff(y)
        slope = float(np.mean(differences))
        sigma = float(np.std(differences, ddof=1))
        slope_se = sigma / math.sqrt(len(differences))
        se = np.sqrt(steps * sigma**2 + (steps * slope_se) ** 2)
        return y[-1] + steps * slope, se, {"drift": slope, "drift_se": slope_se, "sigma": sigma}
    raise ValueError(f"unknown baseline {name!r}; expected one of {BASELINES}")
