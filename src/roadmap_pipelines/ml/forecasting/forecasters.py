"""Fit one per-series model (SARIMA or a baseline) and forecast with 80% and 95% intervals.

SARIMA and the baselines give Gaussian intervals, ``mean ± z * se``; for SARIMA they are
computed on the transformed scale and mapped back, point forecast included (a median).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from roadmap_pipelines.ml.forecasting import arima, baselines, stationarity
from roadmap_pipelines.ml.forecasting.transforms import Transform, fit_transform
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

LEVELS = (80, 95)
Z = {level: NormalDist().inv_cdf(0.5 + level / 200) for level in LEVELS}
PER_SERIES_MODELS = ("arima", *baselines.BASELINES)


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and interval bounds, one value per step ahead."""

    mean: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray

    @classmethod
    def gaussian(cls, mean: np.ndarray, se: np.ndarray, transform: Transform | None = None):
        """``mean ± z se`` at each level, mapped back through ``transform`` if given."""
        inverse = transform.inverse if transform is not None else np.asarray
        bounds = {
            f"{side}_{level}": inverse(mean + sign * Z[level] * se)
            for level in LEVELS
            for side, sign in (("lower", -1.0), ("upper", 1.0))
        }
        return cls(mean=inverse(mean), **bounds)

    def columns(self) -> dict[str, np.ndarray]:
        return {
            "forecast": self.mean,
            "lower_80": self.lower_80,
            "upper_80": self.upper_80,
            "lower_95": self.lower_95,
            "upper_95": self.upper_95,
        }


@dataclass(frozen=True)
class ArimaModel:
    """A SARIMA fit together with the transform of the series it was fitted to."""

    fit: arima.ArimaFit
    transform: Transform

    def forecast(self, values: np.ndarray, horizon: int) -> Forecast:
        mean, se = arima.forecast(self.transform.forward(values), self.fit, horizon)
        return Forecast.gaussian(mean, se, self.transform)

    def summary(self) -> dict[str, Any]:
        return {**self.fit.summary(), "transform": self.transform.summary()}


def _fixed_orders(series_id: str, m: int, params: ModellingTimeseriesParams) -> arima.Orders | None:
    settings = params.arima
    fixed = settings.series.get(series_id) or (
        settings.fixed if settings.method == "fixed" else None
    )
    if fixed is None:
        return None
    (p, d, q), (seasonal_p, seasonal_d, seasonal_q) = fixed.order, fixed.seasonal_order
    if m == 1 and (seasonal_p or seasonal_d or seasonal_q):
        raise ValueError(
            f"fixed seasonal_order {list(fixed.seasonal_order)} for a series with season length "
            "1; set it to [0, 0, 0]"
        )
    return arima.Orders(p, d, q, seasonal_p, seasonal_d, seasonal_q, m, fixed.constant)


def fit_arima(
    series_id: str,
    values: np.ndarray,
    m: int,
    params: ModellingTimeseriesParams,
    differences: tuple[int, int] | None = None,
) -> ArimaModel:
    """Transform, choose ``d``/``D`` (unless given or fixed), search or fit the orders.

    Args:
        series_id: The series (for per-series settings).
        values: The history on the original scale.
        m: Season length.
        params: ``modelling_timeseries`` parameters.
        differences: ``(d, D)`` already chosen on these values, or ``None`` to choose them.
    """
    settings = params.arima
    method = settings.transform.series.get(series_id, settings.transform.method)
    transform = fit_transform(method, values, m, settings.transform.boxcox_lambda)
    z = transform.forward(values)
    orders = _fixed_orders(series_id, m, params)
    if orders is not None:
        return ArimaModel(arima.fit_fixed(z, orders, settings.maxiter), transform)
    if differences is None:
        differences = stationarity.choose_differences(
            z, m, settings.max_d, settings.max_D, params.stationarity
        )
    d, seasonal_d = differences
    return ArimaModel(arima.search_orders(z, m, d, seasonal_d, settings), transform)


def forecast_model(
    name: str,
    series_id: str,
    values: np.ndarray,
    m: int,
    horizon: int,
    params: ModellingTimeseriesParams,
    differences: tuple[int, int] | None = None,
) -> tuple[Forecast, dict[str, Any], ArimaModel | None]:
    """Fit per-series model ``name`` to ``values`` and forecast ``horizon`` steps.

    Returns:
        The forecast, a JSON-ready description of the fit, and the SARIMA model (or ``None``).
    """
    if name == "arima":
        model = fit_arima(series_id, values, m, params, differences)
        return model.forecast(values, horizon), model.summary(), model
    mean, se, fitted = baselines.baseline_forecast(name, values, m, horizon)
    return Forecast.gaussian(mean, se), {"params": fitted}, None
