"""Intervals calibrated on backtest outcomes (split-conformal rescaling of a model's own)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.forecasting.forecasters import Forecast
from roadmap_pipelines.ml.forecasting.intervals import (
    conformal_factor,
    interval_ratios,
    rescale,
    scale_factors,
)


def _rows(actual, forecast, half_80, half_95, model="arima") -> pd.DataFrame:
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    return pd.DataFrame(
        {
            "model": model,
            "actual": actual,
            "forecast": forecast,
            "lower_80": forecast - half_80,
            "upper_80": forecast + half_80,
            "lower_95": forecast - half_95,
            "upper_95": forecast + half_95,
        }
    )


def test_ratios_measure_the_outcome_in_half_widths_of_its_own_side() -> None:
    rows = pd.DataFrame(
        {
            "actual": [12.0, 7.0, 10.0, 11.0, 9.0],
            "forecast": [10.0, 10.0, 10.0, 10.0, 10.0],
            "lower_80": [9.0, 4.0, 9.0, 10.0, np.nan],
            "upper_80": [14.0, 11.0, 11.0, 10.0, np.nan],
        }
    )
    ratios = interval_ratios(rows, 80)
    # above: 2 / 4; below: 3 / 6; on the forecast: 0; a missed zero-width side: inf; no bounds
    assert ratios[:4] == pytest.approx([0.5, 0.5, 0.0, np.inf])
    assert np.isnan(ratios[4])


def test_the_factor_is_the_split_conformal_quantile_or_one_with_too_few_ratios() -> None:
    ratios = np.arange(1, 20, dtype=float)  # 19 ratios: 1 .. 19
    assert conformal_factor(ratios, 80) == 16.0  # ceil(20 * 0.8) = 16th smallest
    assert conformal_factor(ratios, 95) == 19.0  # ceil(20 * 0.95) = 19th
    assert conformal_factor(ratios[:18], 95) == 1.0  # the 19th of 18 does not exist
    assert conformal_factor(np.array([np.nan, np.nan]), 80) == 1.0


def test_rescaled_intervals_reach_nominal_coverage_when_the_model_is_too_narrow() -> None:
    """Outcomes are N(0, 2^2) but the model's intervals are those of N(0, 1): half as wide."""
    rng = np.random.default_rng(7)
    z80, z95 = 1.2815515655446004, 1.959963984540054
    backtest = _rows(rng.normal(0, 2, 3000), np.zeros(3000), z80, z95)
    factors = scale_factors(backtest)["arima"]
    assert factors[80] == pytest.approx(2.0, rel=0.06)
    assert factors[95] == pytest.approx(2.0, rel=0.06)

    fresh = rng.normal(0, 2, 5000)
    narrow = Forecast(
        mean=np.zeros(5000),
        lower_80=np.full(5000, -z80),
        upper_80=np.full(5000, z80),
        lower_95=np.full(5000, -z95),
        upper_95=np.full(5000, z95),
    )
    before = {level: np.mean(np.abs(fresh) <= (z80 if level == 80 else z95)) for level in (80, 95)}
    wide = rescale(narrow, factors)
    after = {
        level: np.mean(
            (getattr(wide, f"lower_{level}") <= fresh) & (fresh <= getattr(wide, f"upper_{level}"))
        )
        for level in (80, 95)
    }
    assert before[80] < 0.55 and before[95] < 0.70  # the model's own: far below nominal
    assert after[80] == pytest.approx(0.80, abs=0.02)
    assert after[95] == pytest.approx(0.95, abs=0.015)


def test_asymmetric_intervals_keep_their_shape_and_lightgbm_is_left_alone() -> None:
    forecast = Forecast(
        mean=np.array([10.0]),
        lower_80=np.array([8.0]),
        upper_80=np.array([14.0]),
        lower_95=np.array([7.0]),
        upper_95=np.array([18.0]),
    )
    wider = rescale(forecast, {80: 1.5, 95: 0.5})
    assert (wider.lower_80[0], wider.upper_80[0]) == (7.0, 16.0)
    # 95% narrowed to (9.5, 14) but kept around the 80% interval
    assert (wider.lower_95[0], wider.upper_95[0]) == (7.0, 16.0)
    assert rescale(forecast, None) is forecast
    rows = pd.concat(
        [_rows([1.0] * 20, [0.0] * 20, 0.5, 1.0, model) for model in ("lightgbm", "ets")]
    )
    assert set(scale_factors(rows)) == {"ets"}
