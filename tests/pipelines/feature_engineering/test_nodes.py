"""Unit tests for the feature-engineering nodes, on small hand-made frames.

Every expected value is worked out by hand in the test or in the comment next to it.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.features.row_features import create_features
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.pipelines.feature_engineering.nodes import (
    report_features,
    specify_preprocessor,
)

DATASET = "toy"
KEY = "parameters_feature_engineering.yml: feature_engineering.<task>"
NUMERIC = {"numeric": [{"columns": ["a"]}]}


def tabular(target: str = "y", target_dtype: str = "category") -> TabularParams:
    return TabularParams.model_validate(
        {
            "dataset": DATASET,
            "target": target,
            "columns": {target: {"dtype": target_dtype}},
            "split": {"strategy": "random", "test_size": 0.25},
        }
    )


def params(
    creation: dict[str, Any] | None = None,
    transform: dict[str, Any] | None = None,
    selection: dict[str, Any] | None = None,
) -> FeatureParams:
    return FeatureParams.model_validate(
        {
            "creation": creation or {},
            "transform": transform or NUMERIC,
            "selection": selection or {"variance_threshold": None},
        }
    )


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": [1.0, 2.0, 4.0],
            "b": [2.0, 0.0, 1.0],
            "c": [1, 2, 3],
            "s": pd.Categorical(["x", "y", "x"]),
            "when": pd.to_datetime(["2024-01-06 13:00", "2024-03-31 00:00", "2024-12-30 00:00"]),
            "y": pd.Categorical(["no", "yes", "no"]),
        },
        index=[5, 6, 7],
    )


# -------------------------------------------------------------------------------------------
# create_features


def test_date_parts(table: pd.DataFrame) -> None:
    parts = ["year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour", "is_weekend"]

    out = create_features(table, params({"date_parts": {"when": parts}}), tabular())

    new = out[[f"when_{part}" for part in parts]]
    # Sat 6 Jan 2024 13:00; Sun 31 Mar 2024 (day 31 + 29 + 31 = 91 of a leap year);
    # Mon 30 Dec 2024 (day 365)
    assert new.to_numpy().tolist() == [
        [2024, 1, 1, 6, 5, 6, 13, 1],
        [2024, 1, 3, 31, 6, 91, 0, 1],
        [2024, 4, 12, 30, 0, 365, 0, 0],
    ]
    assert set(new.dtypes) == {pd.Int64Dtype()}
    assert list(out.index) == [5, 6, 7]


def test_a_missing_date_gives_missing_parts(table: pd.DataFrame) -> None:
    table.loc[6, "when"] = pd.NaT

    out = create_features(table, params({"date_parts": {"when": ["year", "month"]}}), tabular())

    assert out["when_year"].tolist() == [2024, pd.NA, 2024]
    assert out["when_month"].tolist() == [1, pd.NA, 12]


def test_a_missing_date_is_not_a_weekday(table: pd.DataFrame) -> None:
    table.loc[6, "when"] = pd.NaT

    out = create_features(table, params({"date_parts": {"when": ["is_weekend"]}}), tabular())

    assert out["when_is_weekend"].isna().tolist() == [False, True, False]
    assert out["when_is_weekend"].iloc[[0, 2]].tolist() == [1, 0]


def test_date_parts_use_no_deprecated_pandas_api(table: pd.DataFrame) -> None:
    creation = {"date_parts": {"when": ["dayofweek", "dayofyear", "is_weekend"]}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        create_features(table, params(creation), tabular())


def test_formulas_and_interactions(table: pd.DataFrame) -> None:
    creation = {
        "formulas": {"ratio": "a / b", "log_c": "log(c)"},
        "interactions": [["a", "b"], ["a", "b", "c"]],
    }

    out = create_features(table, params(creation), tabular())

    assert list(out.columns) == [*table.columns, "ratio", "log_c", "a_x_b", "a_x_b_x_c"]
    assert out["ratio"].tolist()[0] == 0.5 and np.isnan(out.loc[6, "ratio"])  # 2 / 0
    assert out.loc[7, "ratio"] == 4.0
    np.testing.assert_allclose(out["log_c"], np.log([1.0, 2.0, 3.0]))
    assert out["a_x_b"].tolist() == [2.0, 0.0, 4.0]
    assert out["a_x_b_x_c"].tolist() == [2.0, 0.0, 12.0]
    pd.testing.assert_frame_equal(out[table.columns], table)  # the input is kept as it was


def test_interactions_quote_names_that_are_not_identifiers() -> None:
    frame = pd.DataFrame({"Overall.Qual": [2, 3], "area": [10.0, 20.0], "y": [1.0, 2.0]})
    creation = {"interactions": [["Overall.Qual", "area"]]}

    out = create_features(frame, params(creation), tabular(target_dtype="float"))

    assert out["Overall.Qual_x_area"].tolist() == [20.0, 60.0]


def test_nothing_to_create_returns_an_equal_copy(table: pd.DataFrame) -> None:
    out = create_features(table, params(), tabular())

    pd.testing.assert_frame_equal(out, table)
    assert out is not table


def _raises(table: pd.DataFrame, creation: dict[str, Any]) -> str:
    with pytest.raises(InputDataError) as raised:
        create_features(table, params(creation), tabular())
    return str(raised.value)


def test_a_formula_reading_the_target_is_refused_as_leakage(table: pd.DataFrame) -> None:
    table["y"] = [0.0, 1.0, 0.0]

    message = _raises(table, {"formulas": {"leak": "a * y"}})

    assert message == (
        f"{KEY}.creation.formulas.leak: 'y' is the target of '{DATASET}'; features built from "
        "the target leak it into the model"
    )


def test_an_interaction_with_the_target_is_refused(table: pd.DataFrame) -> None:
    message = _raises(table, {"interactions": [["a", "y"]]})

    assert message.startswith(f"{KEY}.creation.interactions ['a', 'y']: 'y' is the target")


def test_a_formula_naming_a_missing_column_lists_the_columns(table: pd.DataFrame) -> None:
    message = _raises(table, {"formulas": {"r": "a / Income"}})

    assert message == (
        f"{KEY}.creation.formulas.r: column 'Income' is not in '{DATASET}' after cleaning; "
        "columns: ['a', 'b', 'c', 's', 'when', 'y']"
    )


def test_a_date_part_of_a_missing_column_names_it(table: pd.DataFrame) -> None:
    message = _raises(table, {"date_parts": {"sold": ["year"]}})

    assert f"{KEY}.creation.date_parts.sold: column 'sold' is not in '{DATASET}'" in message


def test_date_parts_of_a_column_that_is_not_datetime(table: pd.DataFrame) -> None:
    message = _raises(table, {"date_parts": {"a": ["year"]}})

    assert message == (
        f"{KEY}.creation.date_parts.a: column 'a' of '{DATASET}' is float64, not datetime"
    )


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("a * s", "'a * s' column 's' is category, not numeric"),
        ("2 * 3", "reads no column: a constant is not a feature"),
    ],
)
def test_bad_formulas_name_the_key(table: pd.DataFrame, formula: str, fragment: str) -> None:
    message = _raises(table, {"formulas": {"f": formula}})

    assert message.startswith(f"{KEY}.creation.formulas.f: ")
    assert fragment in message


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("a +", "'a +' is not a valid expression (invalid syntax)"),
        ("__import__('os')", "calls something other than one of"),
        ("a ** 9**9**9", "constant part `9 ** 9 ** 9`"),
    ],
)
def test_formulas_that_are_not_arithmetic_stop_at_validation(formula: str, fragment: str) -> None:
    # before any node: the parameters model parses every formula
    with pytest.raises(ValueError) as raised:
        params({"formulas": {"f": formula}})
    assert "formulas.f: " in str(raised.value) and fragment in str(raised.value)


def test_an_interaction_of_a_text_column_is_refused(table: pd.DataFrame) -> None:
    message = _raises(table, {"interactions": [["a", "s"]]})

    assert message == f"{KEY}.creation.interactions ['a', 's']: column 's' is category, not numeric"


@pytest.mark.parametrize(
    ("creation", "clash"),
    [
        ({"formulas": {"a": "b * 2"}}, "a"),
        ({"interactions": [["b", "c"]]}, "b_x_c"),
        ({"date_parts": {"when": ["year", "month"]}}, "when_year"),
    ],
)
def test_a_new_feature_may_not_overwrite_a_column(
    table: pd.DataFrame, creation: dict[str, Any], clash: str
) -> None:
    table["when_year"] = 0  # as if the date part had been made already
    table["b_x_c"] = 0.0
    message = _raises(table, creation)

    assert message == (
        f"{KEY}.creation: new feature(s) ['{clash}'] would overwrite existing columns of "
        f"'{DATASET}'; rename them"
    )


@pytest.mark.parametrize(
    "creation",
    [
        {"formulas": {"a_x_b": "a - b"}, "interactions": [["a", "b"]]},
        {"date_parts": {"when": ["year"]}, "formulas": {"when_year": "c"}},
    ],
)
def test_two_new_features_with_one_name_are_refused(
    table: pd.DataFrame, creation: dict[str, Any]
) -> None:
    with pytest.raises((InputDataError, ValueError), match="a_x_b|when_year"):
        create_features(table, params(creation), tabular())


# -------------------------------------------------------------------------------------------
# specify_preprocessor


def _specify(table: pd.DataFrame, transform: dict[str, Any], problem: str = "classification"):
    return specify_preprocessor(table, params(transform=transform), tabular(), problem, 7)


def test_specify_preprocessor_returns_the_unfitted_pipeline(table: pd.DataFrame) -> None:
    transform = {
        "numeric": [{"columns": ["a", "b"]}],
        "categorical": [{"columns": ["s"], "encoder": "onehot"}],
    }

    preprocessor = _specify(table, transform)

    assert isinstance(preprocessor, Pipeline)
    with pytest.raises(NotFittedError):
        check_is_fitted(preprocessor)
    assert [name for name, *_ in preprocessor.named_steps["transform"].transformers] == [
        "numeric_1",
        "onehot_1",
    ]
    out = clone(preprocessor).fit_transform(table.drop(columns="y"), table["y"])
    assert list(out.columns) == ["a", "b", "s_x", "s_y"]


def test_bool_columns_may_be_numeric(table: pd.DataFrame) -> None:
    table["flag"] = [True, False, True]
    preprocessor = _specify(table, {"numeric": [{"columns": ["flag"], "scaler": "none"}]})
    out = clone(preprocessor).fit_transform(table, table["y"])
    assert out["flag"].tolist() == [1, 0, 1]


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (
            {"numeric": [{"columns": ["a"]}, {"columns": ["zzz"]}]},
            f"{KEY}.transform.numeric[1]: column 'zzz' is not in '{DATASET}' after cleaning; "
            "columns: ['a', 'b', 'c', 's', 'when', 'y']",
        ),
        (
            {
                "numeric": [{"columns": ["a"]}],
                "categorical": [{"columns": ["t"], "encoder": "onehot"}],
            },
            f"{KEY}.transform.categorical[0]: column 't' is not in '{DATASET}' after cleaning",
        ),
        (
            {"numeric": [{"columns": ["a", "s"]}]},
            f"{KEY}.transform.numeric[0]: column 's' of '{DATASET}' is category; move it to a "
            "categorical group",
        ),
        (
            {"numeric": [{"columns": ["when"]}]},
            f"{KEY}.transform.numeric[0]: column 'when' of '{DATASET}' is datetime64",
        ),
        (
            {
                "numeric": [{"columns": ["a"]}],
                "categorical": [{"columns": ["y"], "encoder": "onehot"}],
            },
            f"{KEY}.transform.categorical[0]: 'y' is the target of '{DATASET}'; features built "
            "from the target leak it into the model",
        ),
    ],
)
def test_specify_preprocessor_checks_the_groups(
    table: pd.DataFrame, transform: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputDataError) as raised:
        _specify(table, transform)
    assert str(raised.value).startswith(message)


def test_specify_preprocessor_refuses_an_unknown_problem(table: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"tasks.<task>.problem\n.*'classification' or"):
        _specify(table, NUMERIC, problem="ranking")


def test_specify_preprocessor_refuses_an_order_missing_training_labels(
    table: pd.DataFrame,
) -> None:
    transform = {
        "numeric": [{"columns": ["a"]}],
        "categorical": [{"columns": ["s"], "encoder": "ordinal", "categories": {"s": ["X", "Y"]}}],
    }
    with pytest.raises(InputDataError, match=r"transform\.categorical\[0\].*\['x', 'y'\]"):
        _specify(table, transform)


# -------------------------------------------------------------------------------------------
# report_features

REPORT_TRANSFORM = {
    "numeric": [{"columns": ["a", "b", "k"], "scaler": "none"}],
    "categorical": [{"columns": ["c"], "encoder": "ordinal"}],
}


@pytest.fixture
def train() -> pd.DataFrame:
    a = np.arange(1.0, 9.0)
    return pd.DataFrame(
        {
            "a": a,
            "b": a / 2 + 1,  # r(a, b) = 1
            "k": 5.0,  # constant
            "c": ["x", "y"] * 4,  # ordinal: 0, 1, 0, 1, ...
            "note": "n",  # in no group
            "id": 109.0 - a,  # in no group; r(a, id) = -1
            "y": ["no", "yes"] * 4,  # the target follows c exactly
        }
    )


def _report(
    train: pd.DataFrame, selection: dict[str, Any], creation: dict[str, Any] | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    feature_params = params(creation, REPORT_TRANSFORM, selection)
    preprocessor = specify_preprocessor(train, feature_params, tabular(), "classification", 0)
    return report_features(preprocessor, train, feature_params, tabular(), "classification", 0)


def test_report_per_selector_scores_kept_and_dropped(train: pd.DataFrame) -> None:
    selection = {
        "variance_threshold": 0.0,
        "correlation_threshold": 0.9,
        "mutual_information": {"k": 1},
    }

    report, _ = _report(train, selection)

    assert report["target"] == "y"
    assert report["input_columns"] == ["a", "b", "k", "c"]
    assert report["unused_columns"] == ["id", "note"]
    assert report["created_features"] == []
    assert report["transformed_features"] == ["a", "b", "k", "c"]
    # population variances: a = 1..8 -> 42 / 8 = 5.25; b = a / 2 + 1 -> 5.25 / 4; k -> 0;
    # c -> 0.25
    assert report["selectors"]["variance_threshold"] == {
        "scores": {"a": 5.25, "b": 1.3125, "k": 0.0, "c": 0.25},
        "kept": ["a", "b", "c"],
        "dropped": ["k"],
    }
    # the largest |r| of each feature with another one: r(a, b) = 1;
    # r(a, c) = r(b, c): centred a . centred c = 2, so 2 / sqrt(42 * 2) = 0.21821789
    assert report["selectors"]["correlation_filter"] == {
        "scores": {"a": 1.0, "b": 1.0, "c": 0.21821789},
        "kept": ["a", "c"],
        "dropped": ["b"],
    }
    # y is c: c carries the information, a (y alternates along it) next to none
    mutual = report["selectors"]["mutual_information"]
    assert mutual["kept"] == ["c"] and mutual["dropped"] == ["a"]
    assert mutual["scores"]["c"] > 0.5
    assert mutual["scores"]["a"] < 0.1
    assert report["selected_features"] == ["c"]
    json.dumps(report)  # the report is plain JSON


def test_variance_threshold_zero_scores_are_capped_at_the_range(train: pd.DataFrame) -> None:
    # documented here: with threshold 0 scikit-learn stores min(variance, max - min) as
    # variances_ (a guard against rounding), so a wide column's score is its range
    train["b"] = 2 * train["a"] + 1  # variance 4 * 5.25 = 21, range 17 - 3 = 14

    report, _ = _report(train, {"variance_threshold": 0.0})

    assert report["selectors"]["variance_threshold"]["scores"]["b"] == 14.0


def test_report_correlation_matrix_of_numeric_features(train: pd.DataFrame) -> None:
    _, matrix = _report(train, {"variance_threshold": 0.0})

    # every numeric feature column, used or not (the target and text columns are left out)
    assert list(matrix.index) == list(matrix.columns) == ["a", "b", "k", "id"]
    assert matrix.loc["a", "b"] == 1.0
    assert matrix.loc["a", "id"] == -1.0
    assert matrix.loc["b", "a"] == 1.0
    # a constant column has no correlation: documented as missing values
    assert matrix["k"].isna().all() and matrix.loc["k"].isna().all()


def test_report_matches_a_fit_of_the_preprocessor(train: pd.DataFrame) -> None:
    feature_params = params(
        transform=REPORT_TRANSFORM,
        selection={"variance_threshold": 0.0, "correlation_threshold": 0.9},
    )
    preprocessor = specify_preprocessor(train, feature_params, tabular(), "classification", 0)

    report, _ = report_features(preprocessor, train, feature_params, tabular(), "classification", 0)

    fitted = clone(preprocessor).fit(train.drop(columns="y"), train["y"])
    assert report["selected_features"] == list(fitted.get_feature_names_out()) == ["a", "c"]
    with pytest.raises(NotFittedError):  # the report fitted a copy, not the output
        check_is_fitted(preprocessor)


def test_report_matches_a_fit_with_target_encoding() -> None:
    rng = np.random.default_rng(3)
    groups = rng.permutation(np.repeat(np.arange(30), 2))  # an id-like label, 2 rows each
    a = rng.normal(size=60)
    train = pd.DataFrame({"a": a, "g": [f"id{i}" for i in groups], "y": a + rng.normal(size=60)})
    feature_params = params(
        transform={
            "numeric": [{"columns": ["a"]}],
            "categorical": [{"columns": ["g"], "encoder": "target"}],
        },
        selection={"variance_threshold": None, "mutual_information": {"k": 1}},
    )
    target = tabular(target_dtype="float")
    preprocessor = specify_preprocessor(train, feature_params, target, "regression", 0)

    report, _ = report_features(preprocessor, train, feature_params, target, "regression", 0)

    fitted = clone(preprocessor).fit(train.drop(columns="y"), train["y"])
    assert list(fitted.get_feature_names_out()) == ["a"]
    assert report["selected_features"] == ["a"]


def test_report_lists_created_features(train: pd.DataFrame) -> None:
    creation = {
        "date_parts": {"when": ["year", "is_weekend"]},
        "formulas": {"ratio": "a / b"},
        "interactions": [["a", "b"]],
    }

    report, _ = _report(train, {"variance_threshold": None}, creation)

    assert report["created_features"] == ["a_x_b", "ratio", "when_is_weekend", "when_year"]


def test_constant_column_without_variance_threshold_is_kept(train: pd.DataFrame) -> None:
    report, _ = _report(train, {"variance_threshold": None, "correlation_threshold": 0.9})

    # no defined correlation: score 0, kept (the correlation filter's documented handling)
    assert report["selectors"]["correlation_filter"]["scores"]["k"] == 0.0
    assert report["selectors"]["correlation_filter"]["kept"] == ["a", "k", "c"]
    assert "variance_threshold" not in report["selectors"]


@pytest.mark.parametrize(
    ("selection", "step", "k", "available"),
    [
        # 4 transformed features, 3 after the variance threshold drops k
        ({"variance_threshold": 0.0, "mutual_information": {"k": 4}}, "mutual_information", 4, 3),
        (
            {"variance_threshold": None, "model_importance": {"estimator": "l1", "k": 5}},
            "model_importance",
            5,
            4,
        ),
        (
            {
                "variance_threshold": 0.0,
                "correlation_threshold": 0.9,
                "model_importance": {"estimator": "lightgbm", "k": 3},
            },
            "model_importance",
            3,
            2,
        ),
    ],
)
def test_k_larger_than_the_features_reaching_a_selector(
    train: pd.DataFrame, selection: dict[str, Any], step: str, k: int, available: int
) -> None:
    with pytest.raises(InputDataError) as raised:
        _report(train, selection)

    assert str(raised.value) == (
        f"{KEY}.selection.{step}.k is {k}, but only {available} feature(s) reach that "
        "selector; lower k or turn earlier selectors off"
    )


def test_k_equal_to_the_features_reaching_a_selector_keeps_them_all(
    train: pd.DataFrame,
) -> None:
    report, _ = _report(train, {"variance_threshold": 0.0, "mutual_information": {"k": 3}})

    assert report["selectors"]["mutual_information"]["dropped"] == []
    assert report["selected_features"] == ["a", "b", "c"]


@pytest.mark.parametrize("estimator", ["l1", "lightgbm"])
def test_model_importance_report(estimator: str) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(120, 4)), columns=["n1", "a", "n2", "b"])
    train["y"] = 3 * train["a"] - 2 * train["b"] + 0.1 * rng.normal(size=120)
    feature_params = params(
        transform={"numeric": [{"columns": ["n1", "a", "n2", "b"]}]},
        selection={
            "variance_threshold": None,
            "model_importance": {"estimator": estimator, "k": 2},
        },
    )
    target = tabular(target_dtype="float")
    preprocessor = specify_preprocessor(train, feature_params, target, "regression", 0)

    report, _ = report_features(preprocessor, train, feature_params, target, "regression", 0)

    importance = report["selectors"]["model_importance"]
    assert importance["kept"] == ["a", "b"] and importance["dropped"] == ["n1", "n2"]
    scores = importance["scores"]
    assert min(scores["a"], scores["b"]) > max(scores["n1"], scores["n2"])
    if estimator == "l1":  # |coefficient| of a Lasso with alpha 1 on standardised features
        assert scores["n1"] == scores["n2"] == 0.0


def test_nullable_numbers_are_reported_like_the_same_floats(train: pd.DataFrame) -> None:
    # a numeric group's Int64 column (missing values included) is reported as the same
    # floats would be; an integer-labelled categorical group is left to the encoder
    transform = {
        "numeric": [{"columns": ["a", "n"], "impute": "median", "scaler": "standard"}],
        "categorical": [{"columns": ["level"], "encoder": "onehot"}],
    }
    nullable = train.assign(
        n=pd.array([1, None, 3, 4, None, 6, 7, 30], dtype="Int64"),
        level=pd.array([1, 2, 1, 2, 1, 2, 1, 2], dtype="Int64"),
    )
    floats = nullable.assign(n=nullable["n"].astype("float64"))
    selection = {"variance_threshold": 0.0, "correlation_threshold": 0.9}
    reports = []
    for frame in (nullable, floats):
        feature_params = params(None, transform, selection)
        preprocessor = specify_preprocessor(frame, feature_params, tabular(), "classification", 0)
        reports.append(
            report_features(preprocessor, frame, feature_params, tabular(), "classification", 0)
        )
    assert reports[0][0] == reports[1][0]
    pd.testing.assert_frame_equal(reports[0][1], reports[1][1])
    assert reports[0][0]["transformed_features"][:2] == ["a", "n"]
    # the median of 1, 3, 4, 6, 7, 30 (4 + 6) / 2 fills both gaps before scaling
    assert reports[0][0]["selectors"]["variance_threshold"]["scores"]["n"] == 1.0
    assert nullable["n"].dtype == "Int64"  # the input is left as it was
