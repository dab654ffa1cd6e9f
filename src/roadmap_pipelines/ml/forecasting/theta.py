"""The Theta method: simple exponential smoothing with half the linear trend as its drift.

Assimakopoulos & Nikolopoulos (2000), winner of the M3 competition; Hyndman & Billah (2003)
showed it is SES with drift. statsmodels' ``ThetaModel`` tests the series for seasonality
(a 90% autocorrelation test at lag ``m``), deseasonalises it by classical decomposition if
the test says so, fits the trend by least squares and the level by SES, and reseasonalises
the forecast. Its drift is half the fitted linear trend's, so it extrapolates more
cautiously than a full linear or ARIMA drift, which is what makes it a useful combination
member where a series' growth breaks.

The series arrives transformed (log by default, as SARIMA and ETS), so the decomposition
is additive there (multiplicative on the original scale); without a transform statsmodels
chooses (multiplicative for positive series).

The fit keeps plain data only. Forecasting fits again on the same history: a regression
and a one-parameter smoother, milliseconds, and the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

_Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class ThetaFit:
    """A fitted Theta model as plain data: its options and parameters."""

    m: int
    method: str  # decomposition: additive | multiplicative | auto
    params: dict[str, float]
    deseasonalized: bool
    nobs: int

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: the decomposition and the parameters."""
        return {
            "label": "Theta",
            "deseasonalized": self.deseasonalized,
            "decomposition": self.method if self.deseasonalized else None,
            "params": dict(self.params),
            "nobs": self.nobs,
        }


def _model(values: np.ndarray, m: int, method: str) -> Any:
    import numpy as np
    import pandas as pd
    from statsmodels.tsa.forecasting.theta import ThetaModel

    values = np.asarray(values, dtype=float)
    # classical decomposition needs two whole seasons
    seasonal = m > 1 and len(values) >= 2 * m
    return ThetaModel(
        pd.Series(values), period=m if seasonal else 1, deseasonalize=seasonal, method=method
    )


def fit_theta(values: np.ndarray, m: int, transformed: bool) -> ThetaFit:
    """Fit the Theta method to ``values`` (already on the modelling scale).

    Args:
        values: The series.
        m: Season length.
        transformed: Whether ``values`` are log or Box-Cox values (additive decomposition).

    Raises:
        ValueError: If a parameter is not finite.
    """
    import math

    method = "additive" if transformed else "auto"
    model = _model(values, m, method)
    result = model.fit()
    params = {name: float(value) for name, value in result.params.items()}
    if not all(math.isfinite(value) for value in params.values()):
        raise ValueError(f"Theta: a parameter is not finite: {params}")
    return ThetaFit(
        m=m,
        method=method,
        params=params,
        deseasonalized=bool(model._has_seasonality),  # noqa: SLF001 - the test's outcome
        nobs=len(values),
    )


def forecast(values: np.ndarray, fit: ThetaFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Forecast ``horizon`` steps from ``values`` (the history the fit was made on).

    Returns:
        Forecast means and their standard errors (from statsmodels' 95% interval).
    """
    import numpy as np

    result = _model(values, fit.m, fit.method).fit()
    mean = np.asarray(result.forecast(horizon), dtype=float)
    upper = np.asarray(result.prediction_intervals(horizon, alpha=0.05).iloc[:, 1], dtype=float)
    return mean, np.maximum(upper - mean, 0.0) / _Z95
