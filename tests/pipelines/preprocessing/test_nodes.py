"""Unit tests for the tabular preprocessing nodes, on small hand-made frames.

Every expected value is worked out by hand in the test (or in the comment next to it), so a
test fails when the node computes something else, not only when it crashes.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.pipelines.preprocessing.nodes import (
    build_quality_report,
    clean_rows,
    clean_test,
    clean_train,
    fit_cleaning_rules,
    split_train_test,
    validate_tabular,
)

DATASET = "toy_credit"

STATUS = ["good", "bad"]
HOMES = ["rent", "owner", "parents"]

BASE_COLUMNS: dict[str, dict[str, Any]] = {
    "loan_id": {"dtype": "int", "nullable": False},
    "status": {"dtype": "category", "nullable": False, "allowed": STATUS},
    "age": {"dtype": "int", "min": 18, "max": 100},
    "income": {"dtype": "float", "min": 0},
    "home": {"dtype": "category", "allowed": HOMES},
}
SPLIT_COLUMNS = {**BASE_COLUMNS, "branch": {"dtype": "string"}, "day": {"dtype": "datetime"}}
NULLABLE_TARGET_COLUMNS = {**BASE_COLUMNS, "status": {"dtype": "category", "allowed": STATUS}}

# The dtypes validate_tabular gives each column, used to build already-validated frames.
DECLARED_DTYPES: dict[str, Any] = {
    "loan_id": "Int64",
    "status": pd.CategoricalDtype(STATUS),
    "age": "Int64",
    "income": "float64",
    "home": pd.CategoricalDtype(HOMES),
    "branch": "str",
}


def make_params(
    columns: dict[str, dict[str, Any]] | None = None, **overrides: Any
) -> TabularParams:
    """``preprocessing.tabular`` parameters for the toy table, with top-level keys overridden."""
    config: dict[str, Any] = {
        "dataset": DATASET,
        "target": "status",
        "columns": columns or BASE_COLUMNS,
        "normalise_strings": {"columns": ["status", "home"]},
        "split": {"strategy": "random", "test_size": 0.25},
    }
    config.update(overrides)
    return TabularParams.model_validate(config)


def cleaning_params(**cleaning: Any) -> TabularParams:
    """Parameters whose ``cleaning`` block is ``cleaning``."""
    return make_params(cleaning=cleaning)


def raw_table(**overrides: list[Any]) -> pd.DataFrame:
    """The toy input as it comes from a CSV: untidy text, numbers not yet in their dtypes."""
    columns: dict[str, list[Any]] = {
        "loan_id": [1, 2, 3, 4],
        "status": [" Good", "bad", "BAD ", "good"],
        "age": [20, 35, 41, 67],
        "income": [1500.0, None, 800.5, 0.0],
        "home": ["rent", "  ", "Owner", None],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def table(**columns: Any) -> pd.DataFrame:
    """A frame whose known columns are already in their declared dtypes."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=DECLARED_DTYPES.get(name))
            for name, values in columns.items()
        }
    )


def split_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The split's own steps, without the unseen-level counts it adds per column."""
    return [s for s in steps if s["rule"] != "unseen_level"]


def step(
    stage: str, rule: str, count: int, column: str | None = None, split: str = "all"
) -> dict[str, Any]:
    """The quality step a node is expected to record."""
    return {
        "dataset": DATASET,
        "stage": stage,
        "rule": rule,
        "column": column,
        "split": split,
        "count": count,
    }


def ids(frame: pd.DataFrame) -> list[int]:
    return frame["loan_id"].tolist()


def error_message(excinfo: pytest.ExceptionInfo[InputDataError]) -> str:
    message = str(excinfo.value)
    assert f"'{DATASET}'" in message
    return message


# --------------------------------------------------------------------------------------------
# validate_tabular
# --------------------------------------------------------------------------------------------


def test_validate_strips_and_lowercases_listed_text_columns():
    validated, _ = validate_tabular(raw_table(), make_params())

    assert validated["status"].tolist() == ["good", "bad", "bad", "good"]
    assert validated["home"].iloc[[0, 2]].tolist() == ["rent", "owner"]


def test_validate_turns_blank_strings_into_missing():
    validated, _ = validate_tabular(raw_table(), make_params())

    # "  " becomes missing once stripped; None stays missing.
    assert validated["home"].isna().tolist() == [False, True, False, True]


def test_validate_records_rows_in_and_changed_values_per_column():
    _, steps = validate_tabular(raw_table(), make_params())

    # status: " Good" and "BAD " change; home: "  " (-> missing) and "Owner" change, None does not.
    assert steps == [
        step("input", "rows_in", 4),
        step("normalise", "strings", 2, "status"),
        step("normalise", "strings", 2, "home"),
    ]


def test_validate_coerces_numbers_to_declared_dtypes():
    raw = raw_table(age=["20", "35", "41", "67"], income=[1500, 900, 800, 0])

    validated, _ = validate_tabular(raw, make_params())

    assert validated["age"].dtype == "Int64"
    assert validated["age"].tolist() == [20, 35, 41, 67]
    assert validated["income"].dtype == "float64"
    assert validated["income"].tolist() == [1500.0, 900.0, 800.0, 0.0]


def test_validate_makes_categories_with_the_declared_allowed_values():
    validated, _ = validate_tabular(raw_table(), make_params())

    assert isinstance(validated["status"].dtype, pd.CategoricalDtype)
    assert validated["status"].cat.categories.tolist() == STATUS
    # "parents" never occurs but is still a category, in the declared order.
    assert validated["home"].cat.categories.tolist() == HOMES


def test_validate_category_without_allowed_uses_sorted_observed_values():
    columns = {**BASE_COLUMNS, "home": {"dtype": "category"}}
    raw = raw_table(home=["rent", "owner", "castle", "owner"])

    validated, _ = validate_tabular(raw, make_params(columns))

    assert validated["home"].cat.categories.tolist() == ["castle", "owner", "rent"]


def test_validate_rejects_a_missing_required_column():
    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw_table().drop(columns="income"), make_params())

    message = error_message(excinfo)
    assert "required column missing: ['income']" in message


def test_validate_rejects_a_value_that_cannot_be_cast():
    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw_table(age=["20", "abc", "41", "67"]), make_params())

    message = error_message(excinfo)
    assert "column 'age': coerce_dtype('Int64')" in message
    assert "'abc'" in message


def test_validate_lists_every_failing_check_in_one_message():
    raw = raw_table(age=[20, 12, 41, 67], home=["rent", "castle", "owner", None])

    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw, make_params())

    message = error_message(excinfo)
    assert "(2 failing check(s))" in message
    assert "column 'age': greater_than_or_equal_to(18.0): 1 failure(s), e.g. [12]" in message
    assert "column 'home': isin(['rent', 'owner', 'parents'])" in message
    assert "'castle'" in message


def test_validate_rejects_an_empty_table():
    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw_table().iloc[:0], make_params())

    assert "has no rows" in error_message(excinfo)


def test_validate_rejects_a_target_missing_in_every_row():
    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw_table(status=[None] * 4), make_params())

    assert "target column 'status' is missing (or blank) in all 4 rows" in error_message(excinfo)


def test_validate_rejects_a_target_of_only_blank_strings():
    raw = raw_table(status=["  ", "", " ", "\t"])

    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw, make_params(NULLABLE_TARGET_COLUMNS))

    assert "target column 'status' is missing (or blank) in all 4 rows" in error_message(excinfo)


def test_validate_rejects_a_duplicated_unique_key():
    raw = raw_table(loan_id=[1, 2, 2, 4])

    with pytest.raises(InputDataError) as excinfo:
        validate_tabular(raw, make_params(unique_key=["loan_id"]))

    message = error_message(excinfo)
    assert "column 'loan_id': multiple_fields_uniqueness" in message
    assert "at rows [1, 2]" in message


# --------------------------------------------------------------------------------------------
# clean_rows
# --------------------------------------------------------------------------------------------


def test_clean_rows_drops_rows_without_a_target():
    data = table(loan_id=[1, 2, 3], status=["good", None, "bad"], age=[30, 40, 50])

    cleaned, steps = clean_rows(data, make_params(NULLABLE_TARGET_COLUMNS))

    assert ids(cleaned) == [1, 3]
    assert cleaned.index.tolist() == [0, 1]
    assert steps == [
        step("rows", "missing_target", 1, "status"),
        step("rows", "duplicate_row", 0),
    ]


def test_clean_rows_without_subset_drops_only_rows_equal_in_every_column():
    # Row 2 repeats row 0 exactly; row 3 shares loan 1 but has another age, so it stays.
    data = table(loan_id=[1, 2, 1, 1], status=["good"] * 4, age=[30, 40, 30, 31])

    cleaned, steps = clean_rows(data, make_params())

    assert ids(cleaned) == [1, 2, 1]
    assert cleaned["age"].tolist() == [30, 40, 31]
    assert steps[1] == step("rows", "duplicate_row", 1)


@pytest.mark.parametrize(
    ("keep", "expected_ids", "expected_ages"),
    [
        ("first", [1, 2, 3], [30, 40, 50]),  # loan 1 keeps its first row (age 30)
        ("last", [2, 1, 3], [40, 31, 50]),  # loan 1 keeps its last row (age 31)
    ],
)
def test_clean_rows_with_subset_keeps_one_row_per_key(keep, expected_ids, expected_ages):
    data = table(loan_id=[1, 2, 1, 3], status=["good"] * 4, age=[30, 40, 31, 50])
    params = cleaning_params(duplicates={"subset": ["loan_id"], "keep": keep})

    cleaned, steps = clean_rows(data, params)

    assert ids(cleaned) == expected_ids
    assert cleaned["age"].tolist() == expected_ages
    assert steps[1] == step("rows", "duplicate_key", 1, "loan_id")


def test_clean_rows_drops_rows_missing_more_than_the_threshold():
    # Five columns, so missing shares are 0/5, 2/5, 3/5 and 1/5; only 0.6 > 0.4.
    data = table(
        loan_id=[1, 2, 3, 4],
        status=["good", "bad", "good", "bad"],
        age=[30, 40, None, 50],
        income=[1000.0, None, None, 2000.0],
        home=["rent", None, None, None],
    )

    cleaned, steps = clean_rows(data, cleaning_params(drop_rows_missing_over=0.4))

    assert ids(cleaned) == [1, 2, 4]
    assert steps[2] == step("rows", "missing_over_threshold", 1)


def test_clean_rows_records_each_step_in_order():
    data = table(
        loan_id=[1, 2, 1, 3, 4],
        status=["good", None, "good", "bad", "bad"],
        age=[30, 40, 30, None, 50],
        income=[1000.0, 2000.0, 1000.0, None, None],
        home=["rent", "owner", "rent", None, None],
    )
    params = make_params(NULLABLE_TARGET_COLUMNS, cleaning={"drop_rows_missing_over": 0.5})

    cleaned, steps = clean_rows(data, params)

    # Loan 2 has no target, the second loan 1 is a copy, loan 3 misses 3/5 > 0.5 of its values;
    # loan 4 misses 2/5 and stays.
    assert ids(cleaned) == [1, 4]
    assert cleaned.index.tolist() == [0, 1]
    assert steps == [
        step("rows", "missing_target", 1, "status"),
        step("rows", "duplicate_row", 1),
        step("rows", "missing_over_threshold", 1),
    ]


# --------------------------------------------------------------------------------------------
# split_train_test
# --------------------------------------------------------------------------------------------

# Day offsets (from 2024-01-01) of the twelve loans; the latest three are 11, 10 and 9 days,
# on loans 6, 10 and 1.
DAY_OFFSETS = [9, 2, 7, 4, 5, 11, 0, 3, 6, 10, 8, 1]


def split_table() -> pd.DataFrame:
    """Twelve loans, eight good and four bad, in seven branches, on shuffled days."""
    return table(
        loan_id=list(range(1, 13)),
        status=["good"] * 8 + ["bad"] * 4,
        branch=list("ppqqqrrsstuu"),
        day=pd.Timestamp("2024-01-01") + pd.to_timedelta(DAY_OFFSETS, unit="D"),
    )


def split_params(strategy: str, test_size: float = 0.25, **columns: str) -> TabularParams:
    split = {"strategy": strategy, "test_size": test_size, **columns}
    return make_params(SPLIT_COLUMNS, split=split)


def test_random_split_sizes_and_order():
    train, test, steps = split_train_test(split_table(), split_params("random"), 0)

    # ceil(0.25 * 12) = 3 test rows, 9 train rows, together every loan once, each in order.
    assert (len(train), len(test)) == (9, 3)
    assert sorted(ids(train) + ids(test)) == list(range(1, 13))
    assert ids(train) == sorted(ids(train))
    assert ids(test) == sorted(ids(test))
    assert split_steps(steps) == [
        step("split", "random", 9, split="train"),
        step("split", "random", 3, split="test"),
    ]
    # every categorical feature's test levels the training rows lack are counted
    new_branches = set(test["branch"].dropna()) - set(train["branch"].dropna())
    assert [s for s in steps if s["rule"] == "unseen_level"] == [
        step(
            "split",
            "unseen_level",
            int(test["branch"].isin(new_branches).sum()),
            column="branch",
            split="test",
        )
    ]


def test_stratified_split_keeps_class_proportions():
    train, test, _ = split_train_test(split_table(), split_params("stratified"), 0)

    # 8 good : 4 bad, 3 test rows -> 2 good + 1 bad in test, 6 good + 3 bad in train.
    assert test["status"].value_counts().to_dict() == {"good": 2, "bad": 1}
    assert train["status"].value_counts().to_dict() == {"good": 6, "bad": 3}


@pytest.mark.parametrize("strategy", ["random", "stratified"])
def test_split_is_reproducible_with_the_same_random_state(strategy):
    first_train, first_test, _ = split_train_test(split_table(), split_params(strategy), 7)
    again_train, again_test, _ = split_train_test(split_table(), split_params(strategy), 7)

    pd.testing.assert_frame_equal(first_train, again_train)
    pd.testing.assert_frame_equal(first_test, again_test)


@pytest.mark.parametrize("strategy", ["random", "stratified"])
def test_split_changes_with_another_random_state(strategy):
    _, test_seed_0, _ = split_train_test(split_table(), split_params(strategy), 0)
    _, test_seed_1, _ = split_train_test(split_table(), split_params(strategy), 1)

    assert ids(test_seed_0) != ids(test_seed_1)


@pytest.mark.parametrize("random_state", [0, 1, 2, 3, 4])
def test_group_split_keeps_every_group_on_one_side(random_state):
    params = split_params("group", group_column="branch")

    train, test, steps = split_train_test(split_table(), params, random_state)

    assert set(train["branch"]).isdisjoint(test["branch"])
    assert sorted(ids(train) + ids(test)) == list(range(1, 13))
    assert len(train) > 0
    assert len(test) > 0
    assert split_steps(steps) == [
        step("split", "group", len(train), split="train"),
        step("split", "group", len(test), split="test"),
    ]


def test_time_split_puts_the_latest_rows_in_test():
    params = split_params("time", time_column="day")

    train, test, steps = split_train_test(split_table(), params, 0)

    assert ids(test) == [1, 6, 10]
    assert ids(train) == [2, 3, 4, 5, 7, 8, 9, 11, 12]
    assert test["day"].min() > train["day"].max()
    assert split_steps(steps) == [
        step("split", "time", 9, split="train"),
        step("split", "time", 3, split="test"),
    ]


def test_stratified_split_rejects_a_class_with_a_single_row():
    data = split_table().assign(status=pd.Categorical(["good"] * 11 + ["bad"], categories=STATUS))

    with pytest.raises(InputDataError) as excinfo:
        split_train_test(data, split_params("stratified"), 0)

    message = error_message(excinfo)
    assert "target column 'status'" in message
    assert "{'bad': 1}" in message


@pytest.mark.parametrize("n_rows", [0, 1])
def test_split_rejects_too_few_rows(n_rows):
    with pytest.raises(InputDataError) as excinfo:
        split_train_test(split_table().iloc[:n_rows], split_params("random"), 0)

    message = error_message(excinfo)
    assert f"{n_rows} row(s) left after cleaning" in message
    assert "test_size 0.25" in message


def test_group_split_rejects_missing_group_values():
    data = split_table().assign(branch=pd.Series(["p", None] + ["q"] * 10, dtype="str"))

    with pytest.raises(InputDataError) as excinfo:
        split_train_test(data, split_params("group", group_column="branch"), 0)

    assert "split column 'branch' has 1 missing value(s)" in error_message(excinfo)


def test_time_split_rejects_missing_times():
    data = split_table()
    data.loc[3, "day"] = pd.NaT

    with pytest.raises(InputDataError) as excinfo:
        split_train_test(data, split_params("time", time_column="day"), 0)

    assert "split column 'day' has 1 missing value(s)" in error_message(excinfo)


def test_group_split_rejects_a_single_group():
    data = split_table().assign(branch=pd.Series(["p"] * 12, dtype="str"))

    with pytest.raises(InputDataError) as excinfo:
        split_train_test(data, split_params("group", group_column="branch"), 0)

    assert "split column 'branch' has 1 group(s)" in error_message(excinfo)


def test_group_split_rejects_a_test_size_that_leaves_no_train_group():
    data = split_table().assign(branch=pd.Series(["p"] * 6 + ["q"] * 6, dtype="str"))
    params = split_params("group", test_size=0.6, group_column="branch")

    with pytest.raises(InputDataError) as excinfo:
        split_train_test(data, params, 0)

    assert "split column 'branch' has 2 group(s)" in error_message(excinfo)
    assert "puts 2 of them in test" in error_message(excinfo)


# --------------------------------------------------------------------------------------------
# fit_cleaning_rules, clean_train, clean_test: imputation
# --------------------------------------------------------------------------------------------

# Train: age observed [21, 30, 41, 61], income observed [100, 300, 800, 1200],
# home observed owner x2, rent x1, parents x1.
IMPUTE_TRAIN = {
    "loan_id": [1, 2, 3, 4, 5],
    "age": [21, 30, None, 41, 61],
    "income": [100.0, None, 300.0, 800.0, 1200.0],
    "home": ["owner", "rent", "owner", None, "parents"],
}
# Test: extreme values that would move every statistic if test rows leaked into the fit.
IMPUTE_TEST = {
    "loan_id": [6, 7, 8],
    "age": [None, 99, 99],
    "income": [None, 1e6, 1e6],
    "home": [None, "rent", "rent"],
}


def impute_params(**rules: dict[str, Any]) -> TabularParams:
    return cleaning_params(impute=rules)


@pytest.mark.parametrize(
    ("strategy", "expected_age", "expected_income"),
    [
        # age median (30 + 41) / 2 = 35.5 -> 36; income median (300 + 800) / 2 = 550.
        ("median", 36, 550.0),
        # age mean 153 / 4 = 38.25 -> 38; income mean 2400 / 4 = 600.
        ("mean", 38, 600.0),
    ],
)
def test_fit_learns_numeric_impute_values_from_train(strategy, expected_age, expected_income):
    params = impute_params(age={"strategy": strategy}, income={"strategy": strategy})

    rules = fit_cleaning_rules(table(**IMPUTE_TRAIN), params)

    assert rules["impute"] == {"age": expected_age, "income": expected_income}
    assert isinstance(rules["impute"]["age"], int)


def test_fit_rounds_an_int_median_tie_half_to_even():
    # Median of [21, 30, 35, 60] is 32.5; Python's round() gives 32, not 33.
    train = table(loan_id=[1, 2, 3, 4], age=[21, 30, 35, 60])

    rules = fit_cleaning_rules(train, impute_params(age={"strategy": "median"}))

    assert rules["impute"] == {"age": 32}


def test_fit_learns_the_most_frequent_category_from_train():
    rules = fit_cleaning_rules(
        table(**IMPUTE_TRAIN), impute_params(home={"strategy": "most_frequent"})
    )

    assert rules["impute"] == {"home": "owner"}


def test_fit_constant_impute_uses_the_fill_value():
    params = impute_params(
        income={"strategy": "constant", "fill_value": 0},
        home={"strategy": "constant", "fill_value": "unknown"},
    )

    rules = fit_cleaning_rules(table(**IMPUTE_TRAIN), params)

    assert rules["impute"] == {"income": 0.0, "home": "unknown"}


def test_clean_test_fills_with_train_values_only():
    params = impute_params(
        age={"strategy": "median"},
        income={"strategy": "median"},
        home={"strategy": "most_frequent"},
    )
    rules = fit_cleaning_rules(table(**IMPUTE_TRAIN), params)

    cleaned, steps = clean_test(table(**IMPUTE_TEST), rules, params)

    # Test's own values (99, 1e6, rent) would give 99, 1e6 and rent; train gives 36, 550, owner.
    assert cleaned["age"].tolist() == [36, 99, 99]
    assert cleaned["income"].tolist() == [550.0, 1e6, 1e6]
    assert cleaned["home"].tolist() == ["owner", "rent", "rent"]
    assert cleaned["age"].dtype == "Int64"
    assert steps == [
        step("missing", "impute", 1, "age", "test"),
        step("missing", "impute", 1, "income", "test"),
        step("missing", "impute", 1, "home", "test"),
    ]


def test_clean_train_fills_its_own_missing_values():
    params = impute_params(age={"strategy": "median"}, income={"strategy": "mean"})
    rules = fit_cleaning_rules(table(**IMPUTE_TRAIN), params)

    cleaned, steps = clean_train(table(**IMPUTE_TRAIN), rules, params)

    assert cleaned["age"].tolist() == [21, 30, 36, 41, 61]
    assert cleaned["income"].tolist() == [100.0, 600.0, 300.0, 800.0, 1200.0]
    assert steps == [
        step("missing", "impute", 1, "age", "train"),
        step("missing", "impute", 1, "income", "train"),
    ]


def test_constant_impute_adds_an_undeclared_category():
    params = impute_params(home={"strategy": "constant", "fill_value": "unknown"})
    rules = fit_cleaning_rules(table(**IMPUTE_TRAIN), params)

    cleaned, _ = clean_test(table(**IMPUTE_TEST), rules, params)

    assert cleaned["home"].tolist() == ["unknown", "rent", "rent"]
    assert cleaned["home"].cat.categories.tolist() == [*HOMES, "unknown"]


def test_fit_rejects_imputing_a_column_with_no_train_value():
    train = table(loan_id=[1, 2], income=[None, None])

    with pytest.raises(InputDataError) as excinfo:
        fit_cleaning_rules(train, impute_params(income={"strategy": "median"}))

    assert "column 'income' has no value in the train split" in error_message(excinfo)


# --------------------------------------------------------------------------------------------
# fit_cleaning_rules, clean_train, clean_test: columns missing too often
# --------------------------------------------------------------------------------------------


def columns_train() -> pd.DataFrame:
    # Missing shares: income 2/4 = 0.5 (not over 0.5, kept), home 3/4 = 0.75 (dropped).
    return table(
        loan_id=[1, 2, 3, 4],
        income=[100.0, None, None, 400.0],
        home=["rent", None, None, None],
    )


def columns_test() -> pd.DataFrame:
    return table(loan_id=[5, 6], income=[None, 600.0], home=["owner", "rent"])


def columns_params() -> TabularParams:
    return cleaning_params(
        drop_columns_missing_over=0.5,
        impute={"income": {"strategy": "mean"}, "home": {"strategy": "most_frequent"}},
    )


def test_fit_drops_columns_missing_more_than_the_threshold_in_train():
    rules = fit_cleaning_rules(columns_train(), columns_params())

    assert rules["dropped_columns"] == {"home": 0.75}
    # The dropped column learns no fill value; income mean (100 + 400) / 2 = 250.
    assert rules["impute"] == {"income": 250.0}


def test_dropped_column_is_removed_from_both_splits():
    params = columns_params()
    rules = fit_cleaning_rules(columns_train(), params)

    train, train_steps = clean_train(columns_train(), rules, params)
    test, test_steps = clean_test(columns_test(), rules, params)

    assert train.columns.tolist() == ["loan_id", "income"]
    assert test.columns.tolist() == ["loan_id", "income"]
    # The column step counts the values removed: every row of the split.
    assert train_steps == [
        step("columns", "missing_over_threshold", 4, "home", "train"),
        step("missing", "impute", 2, "income", "train"),
    ]
    assert test_steps == [
        step("columns", "missing_over_threshold", 2, "home", "test"),
        step("missing", "impute", 1, "income", "test"),
    ]


# --------------------------------------------------------------------------------------------
# fit_cleaning_rules, clean_train, clean_test: outliers
# --------------------------------------------------------------------------------------------

# IQR train incomes, sorted, n = 8. Linear quantiles: q1 at position 0.25 * 7 = 1.75 ->
# 200 + 0.75 * 100 = 275; q3 at 0.75 * 7 = 5.25 -> 600 + 0.25 * 100 = 625; iqr = 350.
# With k = 0.25: lower = 275 - 87.5 = 187.5, upper = 625 + 87.5 = 712.5,
# so loans 1 (100) and 8 (10000) are outside.
IQR_TRAIN_INCOME = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 10000.0]
IQR_BOUNDS = (187.5, 712.5)

# z-score train incomes: mean 20, deviations -6, -2, -2, 0, 10, squares sum 144,
# std (ddof=1) = sqrt(144 / 4) = 6. With k = 1.5: lower = 11, upper = 29; only 30 is outside.
ZSCORE_TRAIN_INCOME = [14.0, 18.0, 18.0, 20.0, 30.0]
ZSCORE_BOUNDS = (11.0, 29.0)


def income_table(incomes: list[float], first_id: int = 1) -> pd.DataFrame:
    return table(loan_id=list(range(first_id, first_id + len(incomes))), income=incomes)


def outlier_params(method: str, threshold: float, action: str, column: str = "income"):
    return cleaning_params(
        outliers={column: {"method": method, "threshold": threshold, "action": action}}
    )


def test_fit_learns_iqr_bounds_from_train():
    rules = fit_cleaning_rules(income_table(IQR_TRAIN_INCOME), outlier_params("iqr", 0.25, "clip"))

    lower, upper = IQR_BOUNDS
    assert rules["outliers"] == {"income": {"lower": lower, "upper": upper, "action": "clip"}}


def test_fit_learns_zscore_bounds_from_train():
    params = outlier_params("zscore", 1.5, "flag")

    rules = fit_cleaning_rules(income_table(ZSCORE_TRAIN_INCOME), params)

    assert rules["outliers"]["income"]["lower"] == pytest.approx(ZSCORE_BOUNDS[0])
    assert rules["outliers"]["income"]["upper"] == pytest.approx(ZSCORE_BOUNDS[1])
    assert rules["outliers"]["income"]["action"] == "flag"


def test_fit_ignores_missing_values_when_learning_bounds():
    train = income_table([*IQR_TRAIN_INCOME, None, None])

    rules = fit_cleaning_rules(train, outlier_params("iqr", 0.25, "clip"))

    bounds = rules["outliers"]["income"]
    assert (bounds["lower"], bounds["upper"]) == IQR_BOUNDS


def test_fit_rounds_int_bounds_inwards():
    # Ages sorted, n = 8: q1 = 22 + 0.75 * 2 = 23.5, q3 = 30 + 0.25 * 2 = 30.5, iqr = 7;
    # k = 1 gives 16.5 and 37.5, which an int column turns into 17 and 37.
    train = table(loan_id=list(range(1, 9)), age=[20, 22, 24, 26, 28, 30, 32, 90])

    rules = fit_cleaning_rules(train, outlier_params("iqr", 1.0, "clip", column="age"))

    assert rules["outliers"]["age"] == {"lower": 17.0, "upper": 37.0, "action": "clip"}


def test_clip_clips_both_splits_to_the_train_bounds():
    params = outlier_params("iqr", 0.25, "clip")
    rules = fit_cleaning_rules(income_table(IQR_TRAIN_INCOME), params)

    train, train_steps = clean_train(income_table(IQR_TRAIN_INCOME), rules, params)
    test, test_steps = clean_test(income_table([150.0, 2000.0, 500.0], 9), rules, params)

    assert train["income"].tolist() == [187.5, 200, 300, 400, 500, 600, 700, 712.5]
    assert test["income"].tolist() == [187.5, 712.5, 500.0]
    assert train_steps == [step("outliers", "clip", 2, "income", "train")]
    assert test_steps == [step("outliers", "clip", 2, "income", "test")]


def test_clip_keeps_an_int_column_int():
    params = outlier_params("iqr", 1.0, "clip", column="age")
    train = table(loan_id=list(range(1, 9)), age=[20, 22, 24, 26, 28, 30, 32, 90])
    rules = fit_cleaning_rules(train, params)

    test, _ = clean_test(table(loan_id=[9, 10], age=[15, None]), rules, params)

    assert test["age"].dtype == "Int64"
    assert test["age"].tolist() == [17, pd.NA]


def test_flag_adds_a_boolean_outlier_column_and_keeps_values():
    params = outlier_params("zscore", 1.5, "flag")
    rules = fit_cleaning_rules(income_table(ZSCORE_TRAIN_INCOME), params)

    train, train_steps = clean_train(income_table(ZSCORE_TRAIN_INCOME), rules, params)
    test, test_steps = clean_test(income_table([5.0, 50.0, 25.0, None], 6), rules, params)

    assert train["income"].tolist() == ZSCORE_TRAIN_INCOME
    assert train["income_outlier"].dtype == bool
    assert train["income_outlier"].tolist() == [False, False, False, False, True]
    # 5 < 11 and 50 > 29 are outside; a missing value is not flagged.
    assert test["income"].tolist()[:3] == [5.0, 50.0, 25.0]
    assert test["income_outlier"].tolist() == [True, True, False, False]
    assert train_steps == [step("outliers", "flag", 1, "income", "train")]
    assert test_steps == [step("outliers", "flag", 2, "income", "test")]


def test_drop_removes_train_rows_but_never_test_rows():
    params = outlier_params("iqr", 0.25, "drop")
    rules = fit_cleaning_rules(income_table(IQR_TRAIN_INCOME), params)

    train, train_steps = clean_train(income_table(IQR_TRAIN_INCOME), rules, params)
    test, test_steps = clean_test(income_table([150.0, 2000.0, 500.0], 9), rules, params)

    assert ids(train) == [2, 3, 4, 5, 6, 7]
    assert train.index.tolist() == list(range(6))
    assert ids(test) == [9, 10, 11]
    assert test["income"].tolist() == [150.0, 2000.0, 500.0]
    assert train_steps == [step("outliers", "drop", 2, "income", "train")]
    assert test_steps == [step("outliers", "kept_in_test", 2, "income", "test")]


def test_outlier_bounds_are_checked_after_imputation():
    # Impute income with the train median, then clip it; steps come in that order.
    params = cleaning_params(
        impute={"income": {"strategy": "median"}},
        outliers={"income": {"method": "iqr", "threshold": 0.25, "action": "clip"}},
    )
    rules = fit_cleaning_rules(income_table([*IQR_TRAIN_INCOME, None]), params)

    test, steps = clean_test(income_table([None, 5000.0], 10), rules, params)

    # Train median (400 + 500) / 2 = 450 is inside the bounds; 5000 is clipped to 712.5.
    assert rules["impute"] == {"income": 450.0}
    assert test["income"].tolist() == [450.0, 712.5]
    assert steps == [
        step("missing", "impute", 1, "income", "test"),
        step("outliers", "clip", 1, "income", "test"),
    ]


def test_fit_rejects_outlier_bounds_for_a_column_with_no_train_value():
    train = table(loan_id=[1, 2], income=[None, None])

    with pytest.raises(InputDataError) as excinfo:
        fit_cleaning_rules(train, outlier_params("iqr", 1.5, "clip"))

    assert "column 'income' has 0 value(s) in the train split" in error_message(excinfo)


@pytest.mark.parametrize("column", ["age", "income"])
def test_fit_rejects_zscore_bounds_from_a_single_train_value(column):
    train = table(loan_id=[1, 2, 3], **{column: [30, None, None]})

    with pytest.raises(InputDataError) as excinfo:
        fit_cleaning_rules(train, outlier_params("zscore", 3.0, "clip", column=column))

    assert f"column '{column}' has 1 value(s) in the train split" in error_message(excinfo)
    assert "'zscore' outlier bounds need at least 2" in error_message(excinfo)


# --------------------------------------------------------------------------------------------
# build_quality_report
# --------------------------------------------------------------------------------------------


def preprocessing_params() -> TabularParams:
    return make_params()


REPORT_STEPS = [
    [step("input", "rows_in", 10), step("normalise", "strings", 2, "status")],
    [step("rows", "duplicate_row", 1)],
    [
        step("missing", "impute", 2, "age", "train"),
        step("missing", "impute", 3, "income", "train"),
        step("outliers", "clip", 1, "income", "train"),
    ],
    [
        step("missing", "impute", 1, "age", "test"),
        step("missing", "impute", 0, "income", "test"),
    ],
]


def total(stage: str, rule: str, split: str, count: int) -> dict[str, Any]:
    return {"dataset": DATASET, "stage": stage, "rule": rule, "split": split, "count": count}


def test_report_totals_each_rule_per_split_over_columns():
    report, _ = build_quality_report(preprocessing_params(), *REPORT_STEPS)

    # Sorted by dataset, stage, rule, split; impute train is 2 + 3, impute test 1 + 0.
    assert report["totals"] == [
        total("input", "rows_in", "all", 10),
        total("missing", "impute", "test", 1),
        total("missing", "impute", "train", 5),
        total("normalise", "strings", "all", 2),
        total("outliers", "clip", "train", 1),
        total("rows", "duplicate_row", "all", 1),
    ]


def test_report_echoes_the_parameters():
    params = preprocessing_params()

    report, _ = build_quality_report(params, *REPORT_STEPS)

    assert report["parameters"] == params.model_dump(mode="json")
    assert report["parameters"]["dataset"] == DATASET
    assert report["parameters"]["split"] == {
        "strategy": "random",
        "test_size": 0.25,
        "group_column": None,
        "time_column": None,
    }


def test_report_lists_every_step_and_the_same_steps_as_a_table():
    report, steps_table = build_quality_report(preprocessing_params(), *REPORT_STEPS)

    every_step = [one for steps in REPORT_STEPS for one in steps]
    assert report["steps"] == every_step
    assert steps_table.columns.tolist() == ["dataset", "stage", "rule", "column", "split", "count"]
    assert steps_table["count"].tolist() == [10, 2, 1, 2, 3, 1, 1, 0]


def test_report_is_json_ready():
    report, _ = build_quality_report(preprocessing_params(), *REPORT_STEPS)

    assert json.loads(json.dumps(report)) == report


# --- guard against silent data loss ---------------------------------------------------------


def test_a_cleaning_step_dropping_most_rows_stops_naming_rule_task_and_counts():
    # three of four rows repeat the first: duplicates would keep one row in four
    data = table(loan_id=[1, 1, 1, 1], status=["good"] * 4, age=[30] * 4)

    with pytest.raises(InputDataError) as raised:
        clean_rows(data, make_params())

    message = str(raised.value)
    assert f"Dataset '{DATASET}'" in message
    assert "cleaning.duplicates would drop 3 of 4 rows (75.0%)" in message
    assert "max_dropped_share 0.5" in message and "duplicates: null" in message


def test_the_guard_allows_what_the_configuration_allows_and_logs_every_count(caplog):
    data = table(loan_id=[1, 1, 1, 1], status=["good"] * 4, age=[30] * 4)
    caplog.set_level("INFO")

    cleaned, _ = clean_rows(data, cleaning_params(max_dropped_share=1.0))

    assert len(cleaned) == 1
    assert f"{DATASET}: cleaning.duplicates dropped 3 of 4 row(s)" in caplog.text
    assert f"{DATASET}: missing_target dropped 0 of 4 row(s)" in caplog.text
