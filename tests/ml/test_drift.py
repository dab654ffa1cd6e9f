"""Drift statistics on synthetic tables: nothing here depends on the shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.monitoring.drift import (
    DriftRule,
    column_drift,
    feature_drift,
    performance_change,
    psi,
)

RULE = DriftRule(psi=0.2, p_value=0.01)
COLUMNS = ["income", "age", "region", "plan"]


def _table(seed: int, rows: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.lognormal(7, 0.5, rows),
            "age": rng.integers(18, 80, rows),
            "region": pd.Categorical(
                rng.choice(["north", "south", "east"], rows, p=[0.5, 0.3, 0.2])
            ),
            "plan": rng.choice(["basic", "plus"], rows),
        }
    )


def _drifted(reference: pd.DataFrame, batch: pd.DataFrame) -> list[str]:
    table = feature_drift(reference, batch, COLUMNS, bins=10, rule=RULE)
    return sorted(table.loc[table["drifted"], "feature"])


def test_a_batch_from_the_training_distribution_is_not_flagged() -> None:
    reference = _table(0)
    for seed in range(1, 6):
        assert _drifted(reference, _table(seed, rows=500)) == []


def test_a_shifted_numeric_column_is_flagged_alone() -> None:
    batch = _table(1, rows=500)
    batch["income"] = batch["income"] * 1.6
    table = feature_drift(_table(0), batch, COLUMNS, bins=10, rule=RULE)
    assert sorted(table.loc[table["drifted"], "feature"]) == ["income"]
    income = table.set_index("feature").loc["income"]
    assert income["test"] == "ks"
    assert income["psi"] > 0.2
    assert income["p_value"] < 1e-6


def test_a_new_category_level_is_flagged_alone_and_named() -> None:
    batch = _table(1, rows=500)
    region = batch["region"].astype(object)
    region[:150] = "west"
    batch["region"] = region
    table = feature_drift(_table(0), batch, COLUMNS, bins=10, rule=RULE)
    assert sorted(table.loc[table["drifted"], "feature"]) == ["region"]
    region_row = table.set_index("feature").loc["region"]
    assert region_row["test"] == "chi2"
    assert region_row["new_levels"] == "west"


def test_a_column_arriving_empty_drifts_through_its_missing_bin() -> None:
    batch = _table(1, rows=500)
    batch.loc[:249, "age"] = np.nan
    drift = column_drift(_table(0)["age"], batch["age"], bins=10, rule=RULE)
    assert drift["drifted"]
    assert drift["missing_share"] == {"reference": 0.0, "current": 0.5}


def test_psi_of_identical_shares_is_zero_and_grows_with_the_shift() -> None:
    counts = np.array([10, 20, 30, 40])
    assert psi(counts, counts * 3) == pytest.approx(0.0)
    small = psi(counts, np.array([12, 20, 30, 38]))
    large = psi(counts, np.array([40, 30, 20, 10]))
    assert 0 < small < large
    # reference shares .1 .2 .3 .4 against .4 .3 .2 .1: sum (c - r) ln(c / r)
    expected = 2 * (0.3 * np.log(4) + 0.1 * np.log(1.5))
    assert large == pytest.approx(expected)


def test_performance_change_is_positive_when_worse_in_either_direction() -> None:
    change = performance_change(
        {"rmse": 10.0, "r2": 0.8}, {"rmse": 12.0, "r2": 0.6}, {"rmse": False, "r2": True}
    )
    assert change["rmse"]["worsening"] == pytest.approx(0.2)
    assert change["r2"]["worsening"] == pytest.approx(0.25)
