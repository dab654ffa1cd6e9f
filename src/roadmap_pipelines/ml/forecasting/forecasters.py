"""Fit one per-series model (SARIMA, ETS or a baseline) and forecast with 80% and 95% intervals.

Every one gives Gaussian intervals, ``mean ± z * se``; for SARIMA and ETS they are computed
on the transformed scale and mapped back, point forecast included (a median). A log or
Box-Cox transform meeting a value that is not positive is replaced by ``none`` for that
series (``ts_series_status`` says so), so such a series still gets every model.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, ClassVar

from roadmap_pipelines.ml.forecasting import (
    arima,
    arima_search,
    baselines,
    ets,
    stationarity,
    theta,
)
from roadmap_pipelines.ml.forecasting.transforms import Transform, fit_transform
from roadmap_pipelines.params.modelling_timeseries import (
    ModellingTimeseriesParams,
    TransformParams,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

LEVELS = (80, 95)
Z = {level: NormalDist().inv_cdf(0.5 + level / 200) for level in LEVELS}
PER_SERIES_MODELS = ("arima", "ets", "theta", *baselines.BASELINES)


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
        import numpy as np

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


def combine_forecasts(forecasts: list[Forecast], how: str) -> Forecast:
    """Mean or median of the members' point forecasts and of each interval bound."""
    import numpy as np

    reduce = np.mean if how == "mean" else np.median
    columns = [forecast.__dict__ for forecast in forecasts]
    return Forecast(
        **{key: reduce(np.vstack([own[key] for own in columns]), axis=0) for key in columns[0]}
    )


@dataclass(frozen=True)
class _FitOnTransform:
    """A fit together with the transform of the series it was fitted to.

    Subclasses name their method's ``forecast(values, fit, horizon) -> (mean, se)``.
    """

    fit: Any
    transform: Transform
    _forecast: ClassVar[Callable[..., tuple[np.ndarray, np.ndarray]]]

    def forecast(self, values: np.ndarray, horizon: int) -> Forecast:
        mean, se = type(self)._forecast(self.transform.forward(values), self.fit, horizon)
        return Forecast.gaussian(mean, se, self.transform)

    def summary(self) -> dict[str, Any]:
        return {**self.fit.summary(), "transform": self.transform.summary()}


@dataclass(frozen=True)
class ArimaModel(_FitOnTransform):
    """A SARIMA fit together with the transform of the series it was fitted to."""

    fit: arima.ArimaFit
    _forecast = staticmethod(arima.forecast)


@dataclass(frozen=True)
class EtsModel(_FitOnTransform):
    """An ETS fit together with the transform of the series it was fitted to."""

    fit: ets.EtsFit
    _forecast = staticmethod(ets.forecast)


@dataclass(frozen=True)
class ThetaModel(_FitOnTransform):
    """A Theta fit together with the transform of the series it was fitted to."""

    fit: theta.ThetaFit
    _forecast = staticmethod(theta.forecast)


def series_transform(
    series_id: str, values: np.ndarray, m: int, settings: TransformParams
) -> Transform:
    """The configured transform of one series; ``none`` if its values are not all positive."""
    import numpy as np

    method = settings.series.get(series_id, settings.method)
    if method != "none" and float(np.min(values)) <= 0:
        method = "none"
    return fit_transform(method, values, m, settings.boxcox_lambda)


def fit_ets(
    series_id: str, values: np.ndarray, m: int, params: ModellingTimeseriesParams
) -> EtsModel:
    """Transform, then choose and fit ETS(A, trend, seasonal) by information criterion."""
    settings = params.ets
    transform = series_transform(series_id, values, m, settings.transform)
    fit = ets.select_ets(
        transform.forward(values),
        m,
        trends=list(settings.trends),
        seasonal=settings.seasonal,
        max_season_length=settings.max_season_length,
        criterion=settings.information_criterion,
        initialization=settings.initialization,
        maxiter=settings.maxiter,
    )
    return EtsModel(fit, transform)


def fit_theta(
    series_id: str, values: np.ndarray, m: int, params: ModellingTimeseriesParams
) -> ThetaModel:
    """Transform, then fit the Theta method (its decomposition additive on a transformed scale)."""
    transform = series_transform(series_id, values, m, params.theta.transform)
    fit = theta.fit_theta(transform.forward(values), m, transformed=transform.method != "none")
    return ThetaModel(fit, transform)


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
    warm_start: arima.ArimaFit | None = None,
) -> ArimaModel:
    """Transform, choose ``d``/``D`` (unless given or fixed), search or fit the orders.

    Args:
        series_id: The series (for per-series settings).
        values: The history on the original scale.
        m: Season length.
        params: ``modelling_timeseries`` parameters.
        differences: ``(d, D)`` already chosen on these values, or ``None`` to choose them.
        warm_start: The fit at the previous backtest origin: exact fits of its orders start
            from its estimates.
    """
    settings = params.arima
    transform = series_transform(series_id, values, m, settings.transform)
    z = transform.forward(values)
    orders = _fixed_orders(series_id, m, params)
    if orders is not None:
        return ArimaModel(
            arima_search.fit_fixed(z, orders, settings.maxiter, warm_start), transform
        )
    if differences is None:
        differences = stationarity.choose_differences(
            z, m, settings.max_d, settings.max_D, params.stationarity
        )
    d, seasonal_d = differences
    fit = arima_search.search_orders(z, m, d, seasonal_d, settings, warm_start)
    return ArimaModel(fit, transform)


def forecast_model(
    name: str,
    series_id: str,
    values: np.ndarray,
    m: int,
    horizon: int,
    params: ModellingTimeseriesParams,
    differences: tuple[int, int] | None = None,
    warm_start: arima.ArimaFit | None = None,
) -> tuple[Forecast, dict[str, Any], ArimaModel | EtsModel | ThetaModel | None]:
    """Fit per-series model ``name`` to ``values`` and forecast ``horizon`` steps.

    Returns:
        The forecast, a JSON-ready description of the fit, and the SARIMA, ETS or Theta model
        (``None`` for a baseline, which is refitted from the history when needed).
    """
    if name == "arima":
        model = fit_arima(series_id, values, m, params, differences, warm_start)
        return model.forecast(values, horizon), model.summary(), model
    if name in ("ets", "theta"):
        fitted = (fit_ets if name == "ets" else fit_theta)(series_id, values, m, params)
        return fitted.forecast(values, horizon), fitted.summary(), fitted
    mean, se, baseline = baselines.baseline_forecast(name, values, m, horizon)
    return Forecast.gaussian(mean, se), {"params": baseline}, None
