"""Log and Box-Cox transforms, their inverses and Guerrero's lambda."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.forecasting.transforms import (
    Transform,
    fit_transform,
    guerrero_lambda,
)

RAW = Path(__file__).resolve().parents[3] / "data/01_raw/timeseries.csv"


@pytest.mark.parametrize(
    "transform",
    [Transform("log", 0.0), Transform("boxcox", 0.5), Transform("boxcox", -0.3), Transform()],
)
def test_inverse_undoes_forward(transform: Transform) -> None:
    values = np.array([0.5, 1.0, 7.0, 120.0])
    assert transform.inverse(transform.forward(values)) == pytest.approx(values)


def test_boxcox_matches_its_formula() -> None:
    assert Transform("boxcox", 0.5).forward(np.array([4.0])) == pytest.approx([(2 - 1) / 0.5])


def test_boxcox_inverse_outside_its_range_runs_to_the_edge() -> None:
    # with lambda 0.5, z < -2 has no preimage: a lower bound there is 0
    assert Transform("boxcox", 0.5).inverse(np.array([-3.0])).tolist() == [0.0]


def test_guerrero_lambda_of_air_passengers_matches_r() -> None:
    raw = pd.read_csv(RAW)
    values = raw.loc[raw["series_id"] == "air_passengers", "value"].to_numpy()
    # R: forecast::BoxCox.lambda(AirPassengers) = -0.2947156
    assert guerrero_lambda(values, 12) == pytest.approx(-0.2947156, abs=1e-3)


def test_log_needs_positive_values() -> None:
    with pytest.raises(ValueError, match="positive values, but the smallest is 0"):
        fit_transform("log", np.array([3.0, 0.0, 2.0]), 1, None)


def test_boxcox_with_a_given_lambda_keeps_it() -> None:
    assert fit_transform("boxcox", np.array([1.0, 2.0, 3.0]), 1, 0.25) == Transform("boxcox", 0.25)
