"""Point-forecast accuracy: MAE, RMSE, MAPE, sMAPE and MASE.

With errors ``e_t = actual_t - forecast_t`` over the forecast window:

* ``mae = mean|e|``, ``rmse = sqrt(mean e²)``;
* ``mape = 100 mean(|e| / |actual|)``, undefined (NaN) if an actual value is 0;
* ``smape = 100 mean(2|e| / (|actual| + |forecast|))``, a term with both 0 counts as 0;
* ``mase = mae / scale``, ``scale = mean|y_t - y_{t-m}|`` over the *training* window
  (seasonal naive in-sample errors; naive when ``m`` is 1); NaN when the scale is 0.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def mase_scale(train: np.ndarray, m: int) -> float:
    """Mean absolute in-sample error of the seasonal naive method (naive if ``m`` is 1)."""
    import numpy as np

    train = np.asarray(train, dtype=float)
    lag = m if len(train) > m else 1
    if len(train) <= lag:
        return math.nan
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def forecast_metrics(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """The five metrics of one forecast window (see the module docstring)."""
    import numpy as np

    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    error = np.abs(actual - forecast)
    mae = float(np.mean(error))
    denominator = np.abs(actual) + np.abs(forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        smape_terms = np.where(denominator > 0, 2.0 * error / denominator, 0.0)
        mape = math.nan if np.any(actual == 0) else float(100.0 * np.mean(error / np.abs(actual)))
    return {
        "mae": mae,
        "rmse": float(math.sqrt(np.mean(error**2))),
        "mape": mape,
        "smape": float(100.0 * np.mean(smape_terms)),
        "mase": mae / scale if scale > 0 else math.nan,
    }
