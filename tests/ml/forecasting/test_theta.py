"""The Theta method: half the linear trend as drift, seasonality removed and put back, the
configured transform, and the delivered model's forecast reproduced from ``ts_models``."""

from __future__ import annotations

import numpy as np
import pytest

from roadmap_pipelines.ml.forecasting import theta
from roadmap_pipelines.ml.forecasting.fitted import FittedModel
from roadmap_pipelines.ml.forecasting.forecasters import fit_theta, forecast_model
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

PATTERN = np.array([4.0, -1.0, 2.5, -5.5])  # sums to zero: a purely seasonal component


def test_the_drift_is_half_the_linear_trend_on_a_straight_line() -> None:
    t = np.arange(60, dtype=float)
    rng = np.random.default_rng(0)
    values = 50.0 + 2.0 * t + rng.normal(0, 0.01, t.size)

    fit = theta.fit_theta(values, 1, transformed=False)
    mean, se = theta.forecast(values, fit, 6)

    assert fit.params["b0"] == pytest.approx(2.0, abs=1e-3)  # the fitted trend's slope
    assert np.diff(mean) == pytest.approx(np.full(5, 1.0), abs=1e-2)  # theta = 2: half of it
    assert mean[0] == pytest.approx(values[-1] + 1.0, abs=0.1)
    assert not fit.deseasonalized and np.all(se > 0) and np.all(np.diff(se) >= 0)


def test_a_seasonal_series_is_deseasonalised_and_the_season_comes_back() -> None:
    rng = np.random.default_rng(1)
    n = 48
    values = 100.0 + PATTERN[np.arange(n) % 4] + rng.normal(0, 0.2, n)

    fit = theta.fit_theta(values, 4, transformed=True)
    mean, _ = theta.forecast(values, fit, 8)

    assert fit.deseasonalized and fit.method == "additive"
    assert mean - mean.mean() == pytest.approx(np.tile(PATTERN, 2), abs=0.3)
    assert fit.summary()["decomposition"] == "additive"


def test_the_configured_log_transform_is_applied_and_mapped_back() -> None:
    rng = np.random.default_rng(2)
    n = 60
    log_values = 3.0 + 0.02 * np.arange(n) + 0.1 * PATTERN[np.arange(n) % 4] / 5.5
    values = np.exp(log_values + rng.normal(0, 0.005, n))
    params = ModellingTimeseriesParams(models=["theta"], theta={"transform": {"method": "log"}})

    model = fit_theta("s", values, 4, params)
    forecast = model.forecast(values, 8)

    assert model.transform.method == "log"
    expected, _ = theta.forecast(np.log(values), model.fit, 8)
    assert forecast.mean == pytest.approx(np.exp(expected))
    assert np.all(forecast.lower_95 < forecast.mean) and np.all(forecast.mean < forecast.upper_95)
    assert np.all(forecast.lower_80 > forecast.lower_95)


def test_the_saved_model_of_a_combination_with_theta_forecasts_what_the_refit_did() -> None:
    rng = np.random.default_rng(3)
    n = 40
    values = 20.0 + 0.3 * np.arange(n) + PATTERN[np.arange(n) % 4] + rng.normal(0, 0.5, n)
    params = ModellingTimeseriesParams(models=["theta", "naive"])
    theta_forecast, summary, fitted = forecast_model("theta", "s", values, 4, 8, params)
    naive_forecast, _, _ = forecast_model("naive", "s", values, 4, 8, params)

    saved = FittedModel(series_id="s", model="combination", frequency="QS", season_length=4,
                        last_timestamp="2009-10-01", history=values, theta=fitted,
                        members=("theta", "naive"))  # fmt: skip
    table = saved.forecast(8)

    assert summary["label"] == "Theta" and summary["transform"]["method"] == "none"
    assert table["forecast"].to_numpy() == pytest.approx(
        (theta_forecast.mean + naive_forecast.mean) / 2
    )
    assert table["timestamp"].iloc[0].isoformat() == "2010-01-01T00:00:00"
