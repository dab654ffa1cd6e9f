"""Messy real-world inputs the tabular nodes must handle or refuse by name.

Each case here was found by pointing the nodes at data shaped like a user's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.pipelines.preprocessing.nodes import (
    clean_rows,
    clean_train,
    fit_cleaning_rules,
    split_train_test,
    validate_tabular,
)


def _params(columns: dict[str, dict], **overrides: Any) -> TabularParams:
    config: dict[str, Any] = {
        "dataset": "mine",
        "target": "y",
        "columns": {"y": {"dtype": "category"}, **columns},
        "split": {"strategy": "random", "test_size": 0.25},
    }
    config.update(overrides)
    return TabularParams.model_validate(config)


def _classes(n: int) -> list[str]:
    return ["a", "b"] * (n // 2)


def test_categorical_input_with_missing_values_is_normalised() -> None:
    raw = pd.DataFrame({"y": _classes(4), "home": pd.Categorical([" Rent", "rent", None, "OWNER"])})
    params = _params({"home": {"dtype": "category"}}, normalise_strings={"columns": ["home"]})

    validated, steps = validate_tabular(raw, params)

    assert validated["home"].tolist()[:2] == ["rent", "rent"]
    assert pd.isna(validated["home"].iloc[2])
    assert validated["home"].cat.categories.tolist() == ["owner", "rent"]
    assert [step["count"] for step in steps if step["column"] == "home"] == [2]


def test_a_fractional_value_in_an_int_column_is_shown_with_its_row() -> None:
    raw = pd.DataFrame({"y": _classes(4), "x": [3.0, 3.5, 4.0, 5.0]})

    with pytest.raises(InputDataError) as raised:
        validate_tabular(raw, _params({"x": {"dtype": "int"}}))

    assert "column 'x': coerce_dtype('Int64'): 1 failure(s), e.g. [3.5] at rows [1]" in str(
        raised.value
    )


def test_infinite_values_are_refused_in_float_columns() -> None:
    raw = pd.DataFrame({"y": _classes(4), "x": [1.0, np.inf, 2.0, -np.inf]})

    with pytest.raises(InputDataError, match=r"column 'x': finite: 2 failure\(s\)"):
        validate_tabular(raw, _params({"x": {"dtype": "float"}}))


def test_repeated_rows_are_kept_when_duplicates_is_off() -> None:
    data = pd.DataFrame({"y": pd.Categorical(["a"] * 6), "x": [1.0] * 6})

    kept, steps = clean_rows(
        data, _params({"x": {"dtype": "float"}}, cleaning={"duplicates": None})
    )

    assert len(kept) == 6
    assert [step["rule"] for step in steps] == ["missing_target"]


def test_time_split_keeps_rows_of_one_moment_together() -> None:
    days = pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 3 + ["2024-01-03"] * 2)
    data = pd.DataFrame({"y": pd.Categorical(_classes(8)), "day": days})
    params = _params(
        {"day": {"dtype": "datetime"}},
        split={"strategy": "time", "test_size": 0.5, "time_column": "day"},
    )

    train, test, _ = split_train_test(data, params, random_state=0)

    # the cut falls inside 2024-01-02: all of that day goes to test
    assert train["day"].max() == pd.Timestamp("2024-01-01")
    assert test["day"].min() == pd.Timestamp("2024-01-02")
    assert len(train) == 3 and len(test) == 5


def test_stratified_split_refuses_to_leave_a_class_out_of_test() -> None:
    data = pd.DataFrame({"y": pd.Categorical(["maj"] * 998 + ["min"] * 2)})
    params = _params({}, split={"strategy": "stratified", "test_size": 0.2})

    with pytest.raises(InputDataError) as raised:
        split_train_test(data, params, random_state=0)

    message = str(raised.value)
    assert "leaves class(es) of 'y' out of train or test" in message
    assert "'min': {'train': 2, 'test': 0}" in message


@pytest.mark.parametrize("seed", ["abc", -1, 2**32, True])
def test_random_state_must_be_a_valid_seed(seed: Any) -> None:
    data = pd.DataFrame({"y": pd.Categorical(_classes(8))})

    with pytest.raises(InputDataError, match=r"Parameter 'random_state' \(parameters.yml\)"):
        split_train_test(data, _params({}), random_state=seed)


def test_iqr_rule_on_a_column_without_spread_is_refused() -> None:
    train = pd.DataFrame({"y": pd.Categorical(_classes(100)), "debt": [0.0] * 85 + [100.0] * 15})
    params = _params(
        {"debt": {"dtype": "float"}},
        cleaning={"outliers": {"debt": {"method": "iqr", "threshold": 3, "action": "clip"}}},
    )

    with pytest.raises(InputDataError) as raised:
        fit_cleaning_rules(train, params)

    message = str(raised.value)
    assert "column 'debt' has no spread" in message and "most values equal 0.0" in message


def test_int_bounds_that_cross_after_rounding_are_refused() -> None:
    train = pd.DataFrame(
        {"y": pd.Categorical(_classes(40)), "x": pd.array([5, 6, 6, 5] * 10, dtype="Int64")}
    )
    params = _params(
        {"x": {"dtype": "int"}},
        cleaning={"outliers": {"x": {"method": "zscore", "threshold": 0.4, "action": "drop"}}},
    )

    with pytest.raises(InputDataError, match=r"bounds \[6, 5\]"):
        fit_cleaning_rules(train, params)


def test_drop_rule_that_empties_train_is_refused() -> None:
    train = pd.DataFrame({"y": pd.Categorical(_classes(4)), "x": [1.0, 2.0, 3.0, 4.0]})
    params = _params({"x": {"dtype": "float"}})
    rules = {
        "dropped_columns": {},
        "impute": {},
        "outliers": {"x": {"lower": 10.0, "upper": 20.0, "action": "drop"}},
    }

    with pytest.raises(InputDataError, match="dropped all 4 train rows"):
        clean_train(train, rules, params)


def test_most_frequent_fills_a_boolean_column() -> None:
    train = pd.DataFrame(
        {
            "y": pd.Categorical(_classes(6)),
            "paid": pd.array([True, True, False, None, True, None], dtype="boolean"),
        }
    )
    params = _params(
        {"paid": {"dtype": "bool"}}, cleaning={"impute": {"paid": {"strategy": "most_frequent"}}}
    )

    rules = fit_cleaning_rules(train, params)
    cleaned, _ = clean_train(train, rules, params)

    assert rules["impute"] == {"paid": True}
    assert cleaned["paid"].tolist() == [True, True, False, True, True, True]
