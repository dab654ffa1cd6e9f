"""Unit-root tests, STL strengths and the choice of d and D on processes with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from roadmap_pipelines.ml.forecasting.stationarity import (
    _kpss_lags,
    adf_test,
    choose_differences,
    decompose,
    kpss_test,
)
from roadmap_pipelines.params.modelling_timeseries import StationarityParams

SETTINGS = StationarityParams()


def _noise(n: int = 200, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, n)


def _seasonal_walk(n: int = 144, m: int = 12, seed: int = 2) -> np.ndarray:
    """y_t = y_{t-m} + e_t: a seasonal random walk, which needs one seasonal difference."""
    e = np.random.default_rng(seed).normal(0, 1, n)
    y = e.copy()
    y[:m] += 10 * np.sin(2 * np.pi * np.arange(m) / m)
    for t in range(m, n):
        y[t] += y[t - m]
    return y


def test_white_noise_needs_no_difference() -> None:
    assert choose_differences(_noise(), 12, 2, 1, SETTINGS) == (0, 0)
    assert adf_test(_noise())[1] < 0.01  # unit root firmly rejected
    assert kpss_test(_noise())[1] >= 0.05  # level stationarity kept


def test_random_walk_needs_one_difference() -> None:
    walk = np.cumsum(_noise())
    assert choose_differences(walk, 1, 2, 1, SETTINGS) == (1, 0)
    assert kpss_test(walk)[1] == pytest.approx(0.01)  # below the table: reported at its edge
    assert adf_test(walk)[1] > 0.05


def test_adf_can_choose_d_too() -> None:
    settings = StationarityParams(unit_root_test="adf")
    assert choose_differences(np.cumsum(_noise()), 1, 2, 1, settings) == (1, 0)
    assert choose_differences(_noise(), 1, 2, 1, settings) == (0, 0)


def test_seasonal_walk_needs_one_seasonal_difference() -> None:
    assert choose_differences(_seasonal_walk(), 12, 2, 1, SETTINGS) == (0, 1)


def test_limits_cap_the_differences() -> None:
    trend_walk = np.cumsum(np.cumsum(_noise()))
    assert choose_differences(trend_walk, 1, 2, 1, SETTINGS) == (2, 0)
    assert choose_differences(trend_walk, 1, 1, 1, SETTINGS) == (1, 0)
    assert choose_differences(_seasonal_walk(), 12, 2, 0, SETTINGS)[1] == 0


def test_decomposition_adds_up_and_strengths_are_in_range() -> None:
    y = _seasonal_walk()
    parts = decompose(y, 12, SETTINGS)

    assert parts.trend + parts.seasonal + parts.resid == pytest.approx(y)
    trend, seasonal = parts.strengths()
    assert 0 <= trend <= 1
    assert seasonal > SETTINGS.seasonal_strength_threshold


def test_non_seasonal_decomposition_has_no_seasonal_part() -> None:
    parts = decompose(np.cumsum(_noise()), 1, SETTINGS)
    assert not parts.seasonal.any()
    assert parts.strengths()[1] == 0


def test_kpss_truncation_lag_follows_r_ndiffs() -> None:
    # forecast::ndiffs: trunc(3 * sqrt(n) / 13)
    assert [_kpss_lags(n) for n in (50, 144, 400)] == [
        math.trunc(3 * math.sqrt(n) / 13) for n in (50, 144, 400)
    ]
