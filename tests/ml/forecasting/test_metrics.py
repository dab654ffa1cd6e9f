"""Accuracy metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from roadmap_pipelines.ml.forecasting.metrics import forecast_metrics, mase_scale


def test_metrics_match_hand_computed_values() -> None:
    actual, forecast = np.array([10.0, 20.0, 30.0]), np.array([12.0, 18.0, 33.0])
    # training window with m = 2: seasonal-naive errors |2-1|, |6-4|, |3-2| -> scale 4/3
    scale = mase_scale(np.array([1.0, 4.0, 2.0, 6.0, 3.0]), 2)
    assert scale == pytest.approx(4 / 3)

    result = forecast_metrics(actual, forecast, scale)

    assert result["mae"] == pytest.approx(7 / 3)  # (2 + 2 + 3) / 3
    assert result["rmse"] == pytest.approx(math.sqrt(17 / 3))  # (4 + 4 + 9) / 3
    assert result["mape"] == pytest.approx(100 * (2 / 10 + 2 / 20 + 3 / 30) / 3)
    assert result["smape"] == pytest.approx(100 * (4 / 22 + 4 / 38 + 6 / 63) / 3)
    assert result["mase"] == pytest.approx((7 / 3) / (4 / 3))


def test_mape_is_undefined_with_a_zero_actual_and_smape_counts_zero_over_zero_as_zero() -> None:
    result = forecast_metrics(np.array([0.0, 10.0]), np.array([0.0, 5.0]), 1.0)

    assert math.isnan(result["mape"])
    assert result["smape"] == pytest.approx(100 * (0 + 10 / 15) / 2)
    assert result["mae"] == pytest.approx(2.5)


def test_mase_is_undefined_when_the_training_window_has_no_seasonal_change() -> None:
    scale = mase_scale(np.array([3.0, 5.0, 3.0, 5.0, 3.0, 5.0]), 2)
    assert scale == 0
    assert math.isnan(forecast_metrics(np.array([1.0]), np.array([2.0]), scale)["mase"])


def test_mase_scale_is_naive_for_non_seasonal_series() -> None:
    assert mase_scale(np.array([1.0, 3.0, 2.0, 6.0]), 1) == pytest.approx((2 + 1 + 4) / 3)
