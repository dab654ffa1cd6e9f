"""The global LightGBM model: features, recursion, determinism and conformal intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.forecasting.global_lightgbm import (
    _features,
    conformal_forecast,
    conformal_half_widths,
    fit_global,
    forecast_global,
    series_scale,
)
from roadmap_pipelines.ml.forecasting.series import Series
from roadmap_pipelines.params.modelling_timeseries import LightGBMParams
from timeseries_cases import quarterly

SETTINGS = LightGBMParams(lags=[1, 2], seasonal_lags=[1], n_estimators=30, min_child_samples=5)


def _series(series_id: str, seed: int, level: float) -> Series:
    frame = quarterly(series_id, n=40, seed=seed, level=level)
    return Series(
        series_id, pd.DatetimeIndex(frame["timestamp"]), frame["value"].to_numpy(), "QS", 4
    )


def test_features_are_scaled_lags_calendar_and_season_length() -> None:
    z = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    stamps = pd.date_range("2000-01-01", periods=6, freq="QS")
    rows = _features(z, np.array([1, 5]), stamps[[1, 5]], 4, SETTINGS)
    # columns: lag_1, lag_2, seasonal_lag_1 (lag 4), month, quarter, season_length
    assert rows[1].tolist() == [5.0, 4.0, 2.0, 4.0, 2.0, 4.0]
    assert rows[0, 0] == 1.0 and np.isnan(rows[0, 1]) and np.isnan(rows[0, 2])


def test_global_model_is_deterministic_and_forecasts_every_series_at_its_scale() -> None:
    series = [_series("small", 1, 10.0), _series("large", 2, 10_000.0)]
    first, second = fit_global(series, SETTINGS, seed=7), fit_global(series, SETTINGS, seed=7)
    assert first.booster == second.booster

    forecasts = forecast_global(first, series, 6)
    assert sorted(forecasts) == ["large", "small"]
    for item in series:
        assert len(forecasts[item.series_id]) == 6
        # seasonal-difference target: the forecast stays near the last season's level
        last = item.values[-4:].mean()
        assert forecasts[item.series_id].mean() == pytest.approx(last, rel=0.3)


def test_scale_is_the_last_season_mean_absolute_value() -> None:
    assert series_scale(np.array([100.0, 1.0, -2.0, 3.0, -4.0]), 4) == pytest.approx(2.5)
    assert series_scale(np.zeros(8), 4) == 1.0


def test_conformal_half_widths_use_the_finite_sample_rank_and_grow_with_the_step() -> None:
    scores = pd.DataFrame({"step": [1] * 9 + [2] * 9, "score": list(range(1, 10)) + [0.5] * 9})
    widths = conformal_half_widths(scores, 2)
    # n = 9: the 80% width is the ceil(10 * 0.8) = 8th smallest score, 95% the 9th (largest)
    assert widths[80].tolist() == [8.0, 8.0]  # step 2's own 0.5 is lifted to step 1's 8
    assert widths[95].tolist() == [9.0, 9.0]


def test_conformal_intervals_are_symmetric_in_mase_units() -> None:
    history = np.array([1.0, 3.0, 2.0, 4.0, 2.0])  # naive (m = 1) scale: (2 + 1 + 2 + 2) / 4
    forecast = conformal_forecast(
        np.array([10.0]), history, 1, {80: np.array([2.0]), 95: np.array([4.0])}
    )
    assert forecast.upper_80.tolist() == pytest.approx([10 + 2 * 1.75])
    assert forecast.lower_95.tolist() == pytest.approx([10 - 4 * 1.75])
