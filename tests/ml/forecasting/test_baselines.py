"""Naive, seasonal naive and drift forecasts and intervals, worked out by hand.

History y = 1, 3, 2, 4, 2, 5, 3, 6 (T = 8) with season length m = 4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from roadmap_pipelines.ml.forecasting.baselines import baseline_forecast
from roadmap_pipelines.ml.forecasting.forecasters import Forecast

Y = np.array([1.0, 3.0, 2.0, 4.0, 2.0, 5.0, 3.0, 6.0])
Z95 = 1.959963984540054


def test_naive_repeats_the_last_value_with_random_walk_errors() -> None:
    mean, se, fitted = baseline_forecast("naive", Y, 4, 3)

    # first differences 2, -1, 2, -2, 3, -2, 3: mean square 35 / 7 = 5
    assert mean.tolist() == [6.0, 6.0, 6.0]
    assert fitted["sigma"] == pytest.approx(math.sqrt(5))
    assert se == pytest.approx(np.sqrt(5 * np.array([1, 2, 3])))


def test_seasonal_naive_repeats_the_last_season() -> None:
    mean, se, fitted = baseline_forecast("seasonal_naive", Y, 4, 6)

    assert mean.tolist() == [2.0, 5.0, 3.0, 6.0, 2.0, 5.0]
    # seasonal differences 1, 2, 1, 2: mean square 10 / 4 = 2.5; step 5 is a second season
    assert fitted["sigma"] == pytest.approx(math.sqrt(2.5))
    assert se == pytest.approx(math.sqrt(2.5) * np.sqrt([1, 1, 1, 1, 2, 2]))


def test_seasonal_naive_without_seasons_is_naive() -> None:
    naive, seasonal = (
        baseline_forecast("naive", Y, 1, 2),
        baseline_forecast("seasonal_naive", Y, 1, 2),
    )
    assert naive[0].tolist() == seasonal[0].tolist()
    assert naive[1] == pytest.approx(seasonal[1])


def test_drift_extends_the_line_from_first_to_last_point() -> None:
    mean, se, fitted = baseline_forecast("drift", Y, 4, 2)

    assert fitted["drift"] == pytest.approx(5 / 7)  # (6 - 1) / 7
    assert mean == pytest.approx([6 + 5 / 7, 6 + 10 / 7])
    # sd of the differences (6 degrees of freedom): (35 - 7 (5/7)^2) / 6 = 110 / 21
    variance = 110 / 21
    assert fitted["sigma"] == pytest.approx(math.sqrt(variance))
    drift_variance = variance / 7
    expected = [math.sqrt(h * variance + h**2 * drift_variance) for h in (1, 2)]
    assert se == pytest.approx(expected)


def test_gaussian_intervals_are_symmetric_and_nested() -> None:
    mean, se, _ = baseline_forecast("naive", Y, 4, 2)
    forecast = Forecast.gaussian(mean, se)

    assert forecast.upper_95 - forecast.mean == pytest.approx(Z95 * se)
    assert forecast.mean - forecast.lower_80 == pytest.approx(1.2815515655446004 * se)
    assert np.all(forecast.lower_95 < forecast.lower_80)
    assert np.all(forecast.upper_80 < forecast.upper_95)


@pytest.mark.parametrize(("name", "points"), [("naive", 1), ("drift", 2), ("seasonal_naive", 4)])
def test_baselines_refuse_too_short_histories(name: str, points: int) -> None:
    with pytest.raises(ValueError, match="needs"):
        baseline_forecast(name, Y[:points], 4, 2)
