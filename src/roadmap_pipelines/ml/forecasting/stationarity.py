"""Unit-root tests, STL decomposition and the choice of ``d`` and ``D``.

``D`` follows Hyndman's seasonal-strength heuristic (R's ``nsdiffs(test = "seas")``): take a
seasonal difference while the STL seasonal strength ``F_s = max(0, 1 - Var(R) / Var(S + R))``
exceeds the threshold (0.64) and ``D < max_D``. Then ``d`` follows ``ndiffs``: difference the
seasonally differenced series while the configured unit-root test asks for it (KPSS: level
stationarity rejected at ``alpha``; ADF: unit root not rejected at ``alpha``) and
``d < max_d``. Trend strength ``F_t = max(0, 1 - Var(R) / Var(T + R))`` is reported too.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.params.modelling_timeseries import (
    ModellingTimeseriesParams,
    StationarityParams,
)

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Decomposition:
    """Trend, seasonal and remainder components of a series (seasonal is 0 if ``m`` is 1)."""

    trend: np.ndarray
    seasonal: np.ndarray
    resid: np.ndarray

    def strengths(self) -> tuple[float, float]:
        """Hyndman's trend and seasonal strength, each in [0, 1]."""
        import numpy as np

        resid_var = float(np.var(self.resid))

        def strength(component: np.ndarray) -> float:
            total = float(np.var(component + self.resid))
            return max(0.0, 1.0 - resid_var / total) if total > 0 else 0.0

        seasonal = strength(self.seasonal) if np.any(self.seasonal != 0) else 0.0
        return strength(self.trend), seasonal


def decompose(values: np.ndarray, m: int, settings: StationarityParams) -> Decomposition:
    """STL decomposition (LOWESS trend for non-seasonal series, which STL cannot take).

    A seasonal series shorter than two seasons has no seasonal estimate: it is decomposed as
    non-seasonal.
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    if m >= 2 and len(values) >= 2 * m:
        from statsmodels.tsa.seasonal import STL

        # seasonal_deg 0: a locally constant seasonal smoother, as R's stl and mstl use
        fit = STL(
            values,
            period=m,
            seasonal=settings.stl_seasonal,
            seasonal_deg=0,
            robust=settings.stl_robust,
        ).fit()
        return Decomposition(np.asarray(fit.trend), np.asarray(fit.seasonal), np.asarray(fit.resid))
    from statsmodels.nonparametric.smoothers_lowess import lowess

    trend = lowess(values, np.arange(len(values), dtype=float), frac=0.3, it=0, return_sorted=False)
    return Decomposition(trend, np.zeros_like(values), values - trend)


def seasonal_strength(values: np.ndarray, m: int, settings: StationarityParams) -> float:
    """STL seasonal strength of ``values`` (0 for a non-seasonal or too short series)."""
    import numpy as np

    if m < 2 or len(values) < 2 * m or np.ptp(values) == 0:
        return 0.0
    return decompose(values, m, settings).strengths()[1]


def _kpss_lags(n: int) -> int:
    # the truncation lag R's forecast::ndiffs passes to urca::ur.kpss
    return max(0, min(n - 2, math.trunc(3 * math.sqrt(n) / 13)))


def kpss_test(values: np.ndarray) -> tuple[float, float]:
    """KPSS level-stationarity test: statistic and p-value (p is tabulated, in [0.01, 0.1])."""
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # p-values outside the table are clipped, with a warning
        statistic, pvalue, *_ = kpss(values, regression="c", nlags=_kpss_lags(len(values)))
    return float(statistic), float(pvalue)


def adf_test(values: np.ndarray) -> tuple[float, float]:
    """Augmented Dickey-Fuller test with a constant, lag order by AIC: statistic, p-value."""
    from statsmodels.tsa.stattools import adfuller

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        statistic, pvalue, *_ = adfuller(values, regression="c", autolag="AIC")
    return float(statistic), float(pvalue)


def _needs_difference(values: np.ndarray, settings: StationarityParams) -> bool:
    import numpy as np

    if len(values) < 8 or np.ptp(values) == 0:
        return False
    try:
        if settings.unit_root_test == "kpss":
            return kpss_test(values)[1] < settings.alpha
        return adf_test(values)[1] > settings.alpha
    except (ValueError, np.linalg.LinAlgError):
        return False  # too short or degenerate for the test: no evidence to difference


def choose_differences(
    values: np.ndarray, m: int, max_d: int, max_seasonal_d: int, settings: StationarityParams
) -> tuple[int, int]:
    """Choose ``(d, D)`` for ``values`` as described in the module docstring."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    seasonal_d = 0
    while (
        m >= 2
        and seasonal_d < max_seasonal_d
        and len(x) >= 2 * m + m
        and seasonal_strength(x, m, settings) > settings.seasonal_strength_threshold
    ):
        x = x[m:] - x[:-m]
        seasonal_d += 1
    d = 0
    while d < max_d and _needs_difference(x, settings):
        x = np.diff(x)
        d += 1
    return d, seasonal_d


def assess_series(series: Any, params: ModellingTimeseriesParams) -> tuple[Any, list]:
    """Tests, strengths, ``d``/``D`` and STL components of one series (a parallel worker).

    Everything is computed on SARIMA's modelling scale, after the configured transform.

    Returns:
        ``((table row, components frame), [])``.
    """
    import pandas as pd

    from roadmap_pipelines.ml.forecasting.forecasters import series_transform

    settings, m = params.arima, series.season_length
    transform = series_transform(series.series_id, series.values, m, settings.transform)
    z = transform.forward(series.values)
    adf_stat, adf_pvalue = adf_test(z)
    kpss_stat, kpss_pvalue = kpss_test(z)
    components = decompose(z, m, params.stationarity)
    trend_strength, seasonal_strength_ = components.strengths()
    d, seasonal_d = choose_differences(z, m, settings.max_d, settings.max_D, params.stationarity)
    row = {
        "series_id": series.series_id,
        "adf_stat": adf_stat,
        "adf_pvalue": adf_pvalue,
        "kpss_stat": kpss_stat,
        "kpss_pvalue": kpss_pvalue,
        "trend_strength": trend_strength,
        "seasonal_strength": seasonal_strength_,
        "d": d,
        "D": seasonal_d,
        "season_length": m,
        "transform": transform.method,
        "boxcox_lambda": transform.lambda_,
    }
    frame = pd.DataFrame(
        {
            "series_id": series.series_id,
            "timestamp": series.timestamps,
            "observed": z,
            "trend": components.trend,
            "seasonal": components.seasonal,
            "resid": components.resid,
        }
    )
    return (row, frame), []
