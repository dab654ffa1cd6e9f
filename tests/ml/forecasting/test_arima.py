"""SARIMA: R's airline model reference, order recovery from a simulated process, bounds,
no colliding lags, failing candidates skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from roadmap_pipelines.ml.forecasting import arima, arima_css, arima_search
from roadmap_pipelines.ml.forecasting.arima import Orders
from roadmap_pipelines.ml.forecasting.stationarity import choose_differences
from roadmap_pipelines.params.modelling_timeseries import ArimaParams, StationarityParams

RAW = Path(__file__).resolve().parents[3] / "data/01_raw/timeseries.csv"
AIRLINE = Orders(p=0, d=1, q=1, P=0, D=1, Q=1, m=12, constant=False)


@pytest.fixture(scope="module")
def log_air_passengers() -> np.ndarray:
    raw = pd.read_csv(RAW)
    return np.log(raw.loc[raw["series_id"] == "air_passengers", "value"].to_numpy())


def test_airline_model_reproduces_r(log_air_passengers: np.ndarray) -> None:
    """R: arima(log(AirPassengers), c(0,1,1), seasonal = list(order = c(0,1,1), period = 12))
    gives ma1 = -0.4018, sma1 = -0.5569, sigma^2 = 0.001348, log likelihood = 244.7,
    aic = -483.4; auto.arima prints AICc = -483.21 and BIC = -474.77.

    R's log likelihood is the exact likelihood of the differenced series w = (1-B)(1-B^12) y
    with a stationary start. That is what SARIMAX(simple_differencing=True) maximises, and the
    full model (differencing in the state, diffuse start) re-filtered with the same
    parameters gives the same value, because statsmodels leaves the d + mD diffuse start-up
    periods out of the likelihood. Both are checked.
    """
    fit = arima_search.fit_fixed(log_air_passengers, AIRLINE, maxiter=50)

    assert fit.params["ma.L1"] == pytest.approx(-0.4018, abs=5e-4)
    assert fit.params["ma.S.L12"] == pytest.approx(-0.5569, abs=5e-4)
    assert fit.params["sigma2"] == pytest.approx(0.001348, abs=5e-6)
    assert fit.loglik == pytest.approx(244.70, abs=0.01)
    assert fit.aic == pytest.approx(-483.40, abs=0.02)
    assert fit.aicc == pytest.approx(-483.21, abs=0.02)
    assert fit.bic == pytest.approx(-474.77, abs=0.02)
    assert fit.nobs == 144 - 13

    full = arima._sarimax(log_air_passengers, AIRLINE, simple_differencing=False)
    params = np.array([fit.params[name] for name in full.param_names])
    assert full.loglike(params) == pytest.approx(fit.loglik, abs=1e-3)


def test_search_finds_the_airline_model(log_air_passengers: np.ndarray) -> None:
    fit = arima_search.search_orders(log_air_passengers, 12, 1, 1, ArimaParams())
    assert fit.orders == AIRLINE
    assert fit.aicc == pytest.approx(-483.21, abs=0.02)
    assert 4 <= fit.models_tried <= ArimaParams().max_models


def test_exact_search_agrees(log_air_passengers: np.ndarray) -> None:
    settings = ArimaParams(approximation=False, max_p=2, max_q=2, max_P=1, max_Q=1)
    assert arima_search.search_orders(log_air_passengers, 12, 1, 1, settings).orders == AIRLINE


def _simulated_sarima(seed: int = 0, n: int = 240) -> np.ndarray:
    """(1 - 0.6 B)(1 - B^12) y_t = (1 - 0.5 B^12) e_t, e ~ N(0, 1), plus a level of 50."""
    e = np.random.default_rng(seed).normal(0, 1, n + 100)
    w = lfilter(np.r_[1.0, np.zeros(11), -0.5], [1.0, -0.6], e)[100:]
    y = w.copy()
    for t in range(12, n):
        y[t] += y[t - 12]
    return 50 + y


@pytest.mark.parametrize(
    "settings",
    [
        ArimaParams(),
        ArimaParams(max_p=2, max_q=2, max_P=1, max_Q=1, start_p=1, start_q=1, max_order=4),
    ],
    ids=["default bounds", "small bounds"],
)
def test_search_recovers_the_orders_of_a_simulated_sarima(settings: ArimaParams) -> None:
    y = _simulated_sarima()
    d, seasonal_d = choose_differences(y, 12, settings.max_d, settings.max_D, StationarityParams())
    assert (d, seasonal_d) == (0, 1)

    fit = arima_search.search_orders(y, 12, d, seasonal_d, settings)

    assert fit.orders == Orders(p=1, d=0, q=0, P=0, D=1, Q=1, m=12, constant=False)
    assert fit.params["ar.L1"] == pytest.approx(0.6, abs=0.1)
    assert fit.params["ma.S.L12"] == pytest.approx(-0.5, abs=0.1)
    assert fit.params["sigma2"] == pytest.approx(1.0, abs=0.15)


def test_search_stays_within_its_bounds() -> None:
    y = _simulated_sarima(seed=3)
    settings = ArimaParams(
        max_p=0, max_q=1, max_P=0, max_Q=0, start_p=0, start_q=0, start_P=0, start_Q=0
    )
    fit = arima_search.search_orders(y, 12, 0, 1, settings)
    assert (fit.orders.p, fit.orders.P, fit.orders.Q) == (0, 0, 0)
    assert fit.orders.q <= 1

    capped = arima_search.search_orders(y, 12, 0, 1, ArimaParams(max_models=5))
    assert capped.models_tried <= 5


def test_constant_is_a_drift_with_one_difference_and_absent_with_two() -> None:
    rng = np.random.default_rng(4)
    trending = np.cumsum(0.5 + rng.normal(0, 1, 120))
    with_drift = arima_search.search_orders(trending, 1, 1, 0, ArimaParams())
    assert with_drift.orders.constant
    assert with_drift.params["intercept"] == pytest.approx(0.5, abs=0.25)
    assert with_drift.orders.label().endswith("with drift")
    assert not arima_search.search_orders(
        np.cumsum(trending), 1, 2, 0, ArimaParams()
    ).orders.constant


def test_forecast_follows_the_fitted_model(log_air_passengers: np.ndarray) -> None:
    fit = arima_search.fit_fixed(log_air_passengers, AIRLINE, maxiter=50)
    mean, se = arima.forecast(log_air_passengers, fit, 24)

    # one step ahead the forecast error is the innovation: se = sigma
    assert se[0] == pytest.approx(np.sqrt(fit.params["sigma2"]), rel=1e-6)
    assert np.all(np.diff(se) > 0)
    # the seasonal pattern carries on: next January to July rises as in 1960
    assert mean[6] > mean[0]
    assert mean[12] - mean[0] == pytest.approx(mean[13] - mean[1], abs=0.01)


def test_information_criteria_follow_r() -> None:
    criteria = arima.information_criteria(loglik=100.0, n_coefficients=2, nobs=50)
    assert criteria["aic"] == pytest.approx(-200 + 2 * 3)
    assert criteria["aicc"] == pytest.approx(-194 + 2 * 3 * 4 / (50 - 3 - 1))
    assert criteria["bic"] == pytest.approx(-200 + 3 * np.log(50))


def _quarterly_ar(n: int = 80, seed: int = 5) -> np.ndarray:
    """A quarterly AR process with a lag-4 term: the search is drawn towards p >= 4."""
    rng = np.random.default_rng(seed)
    return 50 + lfilter([1.0], [1.0, -0.3, 0.0, 0.0, -0.5], rng.normal(0, 1, n))


def test_orders_whose_lags_collide_are_never_proposed() -> None:
    assert arima_search.lags_collide(Orders(4, 0, 0, 1, 0, 0, 4, False))  # AR lag 4 twice
    assert arima_search.lags_collide(Orders(0, 0, 5, 0, 0, 1, 4, False))  # MA lag 4 twice
    assert not arima_search.lags_collide(Orders(3, 0, 3, 1, 0, 1, 4, False))
    assert not arima_search.lags_collide(Orders(5, 0, 0, 0, 0, 0, 4, False))  # no seasonal AR
    assert not arima_search.lags_collide(Orders(5, 0, 0, 0, 0, 0, 1, False))  # non-seasonal
    # the exhaustive grid up to p = 5 with P = 1 on a quarterly series: statsmodels raises
    # "autoregressive lag(s) {4} are in both ..." for p >= 4 with P >= 1, so none is tried
    settings = ArimaParams(stepwise=False, max_p=5, max_q=0, max_P=1, max_Q=0, max_order=6,
                           start_p=0, start_q=0, start_P=0, start_Q=0)  # fmt: skip
    fit = arima_search.search_orders(_quarterly_ar(), 4, 0, 0, settings)
    assert fit.failed == {}
    assert fit.models_tried == 6 * 2 * 2 - 2 * 2  # p 0-5, P 0-1, constant or not; 4 collide
    assert not arima_search.lags_collide(fit.orders)


def test_a_colliding_quarterly_search_with_no_transform_fits() -> None:
    """The case from issue 17: quarterly, transform none, the stepwise walk reaching p = 4."""
    from roadmap_pipelines.ml.forecasting.forecasters import fit_arima
    from timeseries_cases import fast_params

    params = fast_params(
        arima={"max_p": 5, "max_q": 5, "max_P": 2, "max_Q": 2, "max_order": 6,
               "transform": {"method": "none"}}
    )  # fmt: skip
    model = fit_arima("quarterly", _quarterly_ar(), 4, params)
    assert not arima_search.lags_collide(model.fit.orders)
    assert np.all(np.isfinite(model.forecast(_quarterly_ar(), 8).upper_95))


def test_a_failing_candidate_is_recorded_and_the_search_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = arima_css.css_candidate

    def failing(w, orders, criterion):
        if orders.p == 1 and orders.q == 0:
            raise ValueError("construction failed")
        return real(w, orders, criterion)

    monkeypatch.setattr(arima_css, "css_candidate", failing)
    settings = ArimaParams(stepwise=False, max_p=1, max_q=1, max_P=0, max_Q=0, start_P=0,
                           start_Q=0, start_p=0, start_q=0, allow_constant=False)  # fmt: skip
    fit = arima_search.search_orders(_quarterly_ar(), 1, 0, 0, settings)
    assert fit.failed == {"ARIMA(1,0,0)": "ValueError: construction failed"}
    assert fit.models_tried == 4 and fit.orders.label() != "ARIMA(1,0,0)"
    assert fit.summary()["search"]["failed"] == fit.failed


def _airline_process(n: int = 180, seed: int = 5) -> np.ndarray:
    """A simulated (0,1,1)(0,1,1)[12] series: ma1 -0.4, sma1 -0.6."""
    rng = np.random.default_rng(seed)
    w = lfilter(
        np.convolve([1.0, -0.4], np.r_[1.0, np.zeros(11), -0.6]), [1.0], rng.normal(0, 0.03, n)
    )
    y = np.zeros(n)
    for t in range(n):
        y[t] = w[t] + (y[t - 1] if t >= 1 else 0) + (y[t - 12] if t >= 12 else 0)
        y[t] -= y[t - 13] if t >= 13 else 0
    return 5.0 + y


def test_a_warm_start_from_the_previous_origin_starts_there_and_chooses_the_same_orders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    y, settings = _airline_process(), ArimaParams()
    starts: list[tuple[Orders, np.ndarray | None]] = []
    real = arima.fit_exact

    def recording(values, orders, start=None, *args, **kwargs):
        starts.append((orders, None if start is None else np.array(start)))
        return real(values, orders, start, *args, **kwargs)

    monkeypatch.setattr(arima, "fit_exact", recording)
    previous, warm_starts = None, 0
    for cutoff in (132, 144, 156, 168):  # backtest origins, oldest first
        cold = arima_search.search_orders(y[:cutoff], 12, 1, 1, settings)
        starts.clear()
        warm = arima_search.search_orders(y[:cutoff], 12, 1, 1, settings, previous)
        assert warm.orders == cold.orders
        assert warm.aicc == pytest.approx(cold.aicc, abs=0.05)
        if previous is not None:  # every exact fit of the previous orders starts there
            estimates = [value for name, value in previous.params.items() if name != "sigma2"]
            for orders, start in starts:
                if orders == previous.orders:
                    assert np.array_equal(start, estimates)
                    warm_starts += 1
        previous = warm
    assert warm_starts >= 2  # the origins' choices: (0,1,1), (1,1,0), (0,1,1), (0,1,1) x (0,1,1)
    assert previous is not None and previous.orders.q == 1 and previous.orders.Q == 1
