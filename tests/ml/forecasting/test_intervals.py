"""Intervals calibrated on backtest outcomes (split-conformal rescaling of a model's own)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.forecasting.forecasters import Forecast
from roadmap_pipelines.ml.forecasting.intervals import (
    IntervalScale,
    conformal_factor,
    interval_ratios,
    rescale,
    scale_factors,
)

Z80, Z95 = 1.2815515655446004, 1.959963984540054


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


def test_the_factor_is_the_split_conformal_quantile_or_none_with_too_few_ratios() -> None:
    ratios = np.arange(1, 20, dtype=float)  # 19 ratios: 1 .. 19
    assert conformal_factor(ratios, 80) == 16.0  # ceil(20 * 0.8) = 16th smallest
    assert conformal_factor(ratios, 95) == 19.0  # ceil(20 * 0.95) = 19th
    assert conformal_factor(ratios[:18], 95) is None  # the 19th of 18 does not exist
    assert conformal_factor(np.array([np.nan, np.nan]), 80) is None


def test_factors_are_per_step_with_the_pooled_one_where_a_step_has_too_few() -> None:
    rng = np.random.default_rng(3)
    # step 1: outcomes N(0, 1) against N(0, 1) intervals; step 2: N(0, 3^2), three times wider
    rows = pd.concat(
        [
            _rows(rng.normal(0, 1, 400), np.zeros(400), Z80, Z95).assign(step=1),
            _rows(rng.normal(0, 3, 400), np.zeros(400), Z80, Z95).assign(step=2),
            _rows([5.0] * 10, [0.0] * 10, Z80, Z95).assign(step=3),  # 10: too few for 95%
        ]
    )
    scale = scale_factors(rows)["arima"]
    assert scale.steps[80][0] == pytest.approx(1.0, rel=0.12)
    assert scale.steps[80][1] == pytest.approx(3.0, rel=0.12)
    assert scale.steps[80][2] == pytest.approx(5.0 / Z80)  # every ratio is the same
    assert scale.steps[95][2] == scale.pooled[95]  # 10 ratios cannot give a 95% quantile
    assert list(scale.factors(80, 5)[3:]) == [scale.pooled[80]] * 2  # beyond the backtest
    assert scale.summary()["80"]["steps"] == list(scale.steps[80])


def test_rescaled_intervals_reach_nominal_coverage_when_the_model_is_too_narrow() -> None:
    """Outcomes are N(0, 2^2) but the model's intervals are those of N(0, 1): half as wide."""
    rng = np.random.default_rng(7)
    z80, z95 = Z80, Z95
    backtest = _rows(rng.normal(0, 2, 3000), np.zeros(3000), z80, z95).assign(
        step=np.tile([1, 2, 3], 1000)
    )
    factors = scale_factors(backtest)["arima"]
    assert factors.pooled[80] == pytest.approx(2.0, rel=0.06)
    assert factors.pooled[95] == pytest.approx(2.0, rel=0.06)

    fresh = rng.normal(0, 2, (2000, 3))  # 2000 new forecasts of three steps
    narrow = Forecast(
        mean=np.zeros(3),
        lower_80=np.full(3, -z80),
        upper_80=np.full(3, z80),
        lower_95=np.full(3, -z95),
        upper_95=np.full(3, z95),
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
    wider = rescale(forecast, IntervalScale(pooled={80: 1.5, 95: 0.5}, steps={}))
    assert (wider.lower_80[0], wider.upper_80[0]) == (7.0, 16.0)
    # 95% narrowed to (9.5, 14) but kept around the 80% interval
    assert (wider.lower_95[0], wider.upper_95[0]) == (7.0, 16.0)
    assert rescale(forecast, None) is forecast
    rows = pd.concat(
        [
            _rows([1.0] * 20, [0.0] * 20, 0.5, 1.0, model).assign(step=1)
            for model in ("lightgbm", "ets")
        ]
    )
    assert set(scale_factors(rows)) == {"ets"}
