"""The feature preprocessor: each transform and selector on tiny frames, and the leakage rule.

Transform tests turn every selector off so the output is exactly what the transform made;
expected values are worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import TargetEncoder

from roadmap_pipelines.ml.features.preprocessor import (
    _importance_model,
    build_preprocessor,
    onehot_feature_name,
)
from roadmap_pipelines.params.feature_engineering import FeatureParams

NO_SELECTION = {"variance_threshold": None}


def make_params(
    numeric: list[dict] | None = None,
    categorical: list[dict] | None = None,
    selection: dict[str, Any] | None = None,
) -> FeatureParams:
    return FeatureParams.model_validate(
        {
            "transform": {"numeric": numeric or [], "categorical": categorical or []},
            "selection": NO_SELECTION if selection is None else selection,
        }
    )


def fit_transform(
    params: FeatureParams,
    train: pd.DataFrame,
    y: pd.Series | None = None,
    problem: str = "regression",
    new: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Fit the preprocessor on ``train`` and transform ``new`` (default: ``train`` again)."""
    preprocessor = build_preprocessor(params, problem, random_state=0).fit(train, y)
    return preprocessor.transform(train if new is None else new)


def column(values: pd.Series) -> list[float]:
    return [round(float(v), 6) for v in values]


# -------------------------------------------------------------------------------------------
# numeric groups


@pytest.mark.parametrize(
    ("scaler", "values", "expected"),
    [
        # mean 2.5, population std sqrt(1.25) = 1.118034
        ("standard", [1, 2, 3, 4], [-1.341641, -0.447214, 0.447214, 1.341641]),
        # (x - 1) / (5 - 1)
        ("minmax", [1, 2, 3, 5], [0.0, 0.25, 0.5, 1.0]),
        # median 3, quartiles 2 and 4: (x - 3) / 2; the outlier 10 does not move the others
        ("robust", [1, 2, 3, 4, 10], [-1.0, -0.5, 0.0, 0.5, 3.5]),
        ("none", [1, 2, 3, 5], [1.0, 2.0, 3.0, 5.0]),
    ],
)
def test_scalers(scaler: str, values: list[int], expected: list[float]) -> None:
    params = make_params(numeric=[{"columns": ["a"], "scaler": scaler}])

    out = fit_transform(params, pd.DataFrame({"a": values}))

    assert list(out.columns) == ["a"]
    assert column(out["a"]) == expected


def test_scaling_statistics_come_from_the_fitted_rows_only() -> None:
    params = make_params(numeric=[{"columns": ["a"], "scaler": "minmax"}])

    out = fit_transform(params, pd.DataFrame({"a": [0, 10]}), new=pd.DataFrame({"a": [5, 20]}))

    assert column(out["a"]) == [0.5, 2.0]  # not re-fitted on the new rows


@pytest.mark.parametrize(
    ("impute", "filled"),
    [("median", 3.0), ("mean", 4.0), ("zero", 0.0)],  # of 1, 3 and 8: median 3, mean 4
)
def test_numeric_imputation(impute: str, filled: float) -> None:
    params = make_params(numeric=[{"columns": ["a"], "impute": impute, "scaler": "none"}])

    out = fit_transform(params, pd.DataFrame({"a": [1.0, np.nan, 3.0, 8.0]}))

    assert column(out["a"]) == [1.0, filled, 3.0, 8.0]


def test_no_imputation_keeps_missing_values() -> None:
    params = make_params(numeric=[{"columns": ["a"], "impute": None, "scaler": "none"}])

    out = fit_transform(params, pd.DataFrame({"a": [1.0, np.nan]}))

    assert out["a"].isna().tolist() == [False, True]


def test_nullable_integers_are_imputed() -> None:
    # date parts come out of create_features as Int64 with <NA> for a missing date
    params = make_params(numeric=[{"columns": ["a"], "scaler": "none"}])

    out = fit_transform(params, pd.DataFrame({"a": pd.array([2, None, 4, 9], dtype="Int64")}))

    assert column(out["a"]) == [2.0, 4.0, 4.0, 9.0]


def test_polynomial_degree_two_with_readable_names() -> None:
    params = make_params(
        numeric=[{"columns": ["a", "b"], "polynomial": {"degree": 2}, "scaler": "none"}]
    )

    out = fit_transform(params, pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}))

    assert list(out.columns) == ["a", "b", "a^2", "a b", "b^2"]
    assert column(out["a^2"]) == [1.0, 4.0, 9.0]
    assert column(out["a b"]) == [4.0, 10.0, 18.0]
    assert column(out["b^2"]) == [16.0, 25.0, 36.0]


def test_polynomial_interaction_only() -> None:
    params = make_params(
        numeric=[
            {
                "columns": ["a", "b"],
                "polynomial": {"degree": 2, "interaction_only": True},
                "scaler": "none",
            }
        ]
    )

    out = fit_transform(params, pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}))

    assert list(out.columns) == ["a", "b", "a b"]


def test_polynomial_terms_come_after_imputation_and_before_scaling() -> None:
    params = make_params(
        numeric=[
            {"columns": ["a"], "impute": "zero", "polynomial": {"degree": 2}, "scaler": "minmax"}
        ]
    )

    out = fit_transform(params, pd.DataFrame({"a": [np.nan, 1.0, 2.0]}))

    # imputed [0, 1, 2]; squared [0, 1, 4]; each min-max scaled
    assert column(out["a"]) == [0.0, 0.5, 1.0]
    assert column(out["a^2"]) == [0.0, 0.25, 1.0]


# -------------------------------------------------------------------------------------------
# categorical groups


def test_onehot_unseen_category_is_all_zeros() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "onehot"}])
    train = pd.DataFrame({"c": ["x", "y", "x", None]})  # None imputed: most frequent, x

    fitted = fit_transform(params, train)
    new = fit_transform(params, train, new=pd.DataFrame({"c": ["y", "z"]}))

    assert list(fitted.columns) == ["c_x", "c_y"]
    assert fitted.to_numpy().tolist() == [[1, 0], [0, 1], [1, 0], [1, 0]]
    assert new.to_numpy().tolist() == [[0, 1], [0, 0]]  # z was never seen: no column set


def test_onehot_constant_imputation_adds_a_missing_column() -> None:
    params = make_params(
        categorical=[{"columns": ["c"], "encoder": "onehot", "impute": "constant"}]
    )

    out = fit_transform(params, pd.DataFrame({"c": pd.Series(["x", None], dtype="category")}))

    assert list(out.columns) == ["c_missing", "c_x"]
    assert out.to_numpy().tolist() == [[0, 1], [1, 0]]


def test_onehot_min_frequency_pools_rare_labels_and_unseen_ones() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "onehot", "min_frequency": 2}])
    train = pd.DataFrame({"c": ["x", "x", "x", "y", "y", "z", "w"]})  # z and w: once each

    out = fit_transform(params, train)
    new = fit_transform(params, train, new=pd.DataFrame({"c": ["w", "v"]}))

    assert list(out.columns) == ["c_x", "c_y", "c_infrequent_sklearn"]
    assert out["c_infrequent_sklearn"].tolist() == [0, 0, 0, 0, 0, 1, 1]
    # documented handling: with an infrequent column, an unseen label lands in it (not zeros)
    assert new.to_numpy().tolist() == [[0, 0, 1], [0, 0, 1]]


def test_onehot_min_frequency_without_rare_labels_leaves_unseen_all_zeros() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "onehot", "min_frequency": 2}])
    train = pd.DataFrame({"c": ["x", "x", "y", "y"]})

    new = fit_transform(params, train, new=pd.DataFrame({"c": ["v"]}))

    assert list(new.columns) == ["c_x", "c_y"]
    assert new.to_numpy().tolist() == [[0, 0]]


def test_ordinal_with_declared_order_unseen_and_missing() -> None:
    params = make_params(
        categorical=[
            {"columns": ["size"], "encoder": "ordinal", "categories": {"size": ["s", "m", "l"]}}
        ]
    )
    train = pd.DataFrame({"size": pd.Series(["s", "m", "m", "l", None], dtype="category")})

    fitted = fit_transform(params, train)
    new = fit_transform(params, train, new=pd.DataFrame({"size": ["l", "s", "xl", None]}))

    assert list(fitted.columns) == ["size"]
    assert column(fitted["size"]) == [0.0, 1.0, 1.0, 2.0, 1.0]  # missing imputed: m
    assert column(new["size"]) == [2.0, 0.0, -1.0, 1.0]  # unseen xl: -1


def test_ordinal_without_order_sorts_labels() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "ordinal"}])

    out = fit_transform(params, pd.DataFrame({"c": ["s", "m", "l"]}))

    assert column(out["c"]) == [2.0, 1.0, 0.0]  # l < m < s alphabetically


def test_ordinal_training_label_outside_the_declared_order_becomes_minus_one() -> None:
    # documented here: a declared order that misses a training label (a typo, a case
    # mismatch) does not fail; that label encodes as -1 like an unseen one
    params = make_params(
        categorical=[{"columns": ["q"], "encoder": "ordinal", "categories": {"q": ["Gd", "Ex"]}}]
    )

    out = fit_transform(params, pd.DataFrame({"q": ["Gd", "ex", "Ex"]}))

    assert column(out["q"]) == [0.0, -1.0, 1.0]


def test_target_encoding_regression_is_continuous_for_whole_number_targets() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "target"}])
    train = pd.DataFrame({"c": ["p"] * 4 + ["q"] * 4 + ["r"] * 4})
    y = pd.Series([1] * 4 + [2] * 4 + [3] * 4)  # integers: "auto" would call them 3 classes

    preprocessor = build_preprocessor(params, "regression", random_state=0).fit(train, y)
    out = preprocessor.transform(pd.DataFrame({"c": ["p", "q", "r", "new"]}))

    encoder = preprocessor.named_steps["transform"].named_transformers_["target_1"]["encode"]
    assert encoder.target_type_ == "continuous"
    assert list(out.columns) == ["c"]  # one column, not one per "class"
    # no spread inside a label: each encodes to its mean; unseen to the overall mean 2
    assert column(out["c"]) == [1.0, 2.0, 3.0, 2.0]


def test_target_encoding_binary_classification() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "target"}])
    train = pd.DataFrame({"c": ["p"] * 5 + ["q"] * 5})
    y = pd.Series(["bad"] * 5 + ["good"] * 5)

    preprocessor = build_preprocessor(params, "classification", random_state=0).fit(train, y)
    out = preprocessor.transform(pd.DataFrame({"c": ["p", "q", "new"]}))

    # share of the second class ("good"); unseen: the overall share 0.5
    assert column(out["c"]) == [0.0, 1.0, 0.5]


def test_target_encoding_multiclass_gives_a_column_per_class() -> None:
    params = make_params(categorical=[{"columns": ["c"], "encoder": "target"}])
    train = pd.DataFrame({"c": ["p"] * 5 + ["q"] * 5 + ["r"] * 5})
    y = pd.Series(["a"] * 5 + ["b"] * 5 + ["c"] * 5)

    out = fit_transform(params, train, y, problem="classification")

    assert list(out.columns) == ["c_a", "c_b", "c_c"]
    assert out.loc[0].tolist() == [1.0, 0.0, 0.0]


def test_target_encoding_cross_fits_the_training_rows() -> None:
    # fit_transform encodes each training row from the other folds, so a label seen once
    # gets the overall mean instead of its own target: the training rows do not leak
    params = make_params(categorical=[{"columns": ["c"], "encoder": "target"}])
    train = pd.DataFrame({"c": [f"id{i}" for i in range(10)]})
    y = pd.Series(np.arange(10, dtype=float))

    preprocessor = build_preprocessor(params, "regression", random_state=0)
    cross_fitted = preprocessor.fit_transform(train, y)

    assert not np.allclose(cross_fitted["c"], y)
    assert cross_fitted["c"].std() < y.std() / 2


# -------------------------------------------------------------------------------------------
# selectors


def test_variance_threshold_drops_a_constant_column() -> None:
    params = make_params(
        numeric=[{"columns": ["a", "k"], "scaler": "standard"}],
        selection={"variance_threshold": 0.0},
    )

    out = fit_transform(params, pd.DataFrame({"a": [1, 2, 3], "k": [5, 5, 5]}))

    assert list(out.columns) == ["a"]


def test_correlation_filter_in_the_preprocessor() -> None:
    params = make_params(
        numeric=[{"columns": ["a", "b", "c"], "scaler": "none"}],
        selection={"variance_threshold": None, "correlation_threshold": 0.9},
    )
    table = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 4, 6, 9], "c": [1, 0, 1, 0]})

    out = fit_transform(params, table)

    assert list(out.columns) == ["a", "c"]  # r(a, b) = 0.99; r(a, c) = -0.45


def _informative(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 5)), columns=["n1", "a", "n2", "b", "n3"])


def _target(table: pd.DataFrame, problem: str) -> pd.Series:
    signal = 3 * table["a"] - 2 * table["b"]
    if problem == "regression":
        return signal + 0.1 * _informative(len(table), seed=1)["a"]
    return pd.Series(np.where(signal > 0, "yes", "no"))


@pytest.mark.parametrize("problem", ["regression", "classification"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_mutual_information_keeps_the_top_k(problem: str, k: int) -> None:
    table = _informative()
    params = make_params(
        numeric=[{"columns": list(table.columns)}],
        selection={"variance_threshold": None, "mutual_information": {"k": k}},
    )

    out = fit_transform(params, table, _target(table, problem), problem=problem)

    assert len(out.columns) == k
    # the informative features come first; the kept ones stay in input order
    assert {"a", "b"} <= set(out.columns) if k >= 2 else out.columns[0] in {"a", "b"}
    assert list(out.columns) == [name for name in table.columns if name in set(out.columns)]


@pytest.mark.parametrize("problem", ["regression", "classification"])
@pytest.mark.parametrize("estimator", ["lightgbm", "l1"])
def test_model_importance_keeps_the_top_k(problem: str, estimator: str) -> None:
    table = _informative()
    params = make_params(
        numeric=[{"columns": list(table.columns)}],
        selection={
            "variance_threshold": None,
            "model_importance": {"estimator": estimator, "k": 2},
        },
    )

    preprocessor = build_preprocessor(params, problem, random_state=0)
    out = preprocessor.fit(table, _target(table, problem)).transform(table)

    assert list(out.columns) == ["a", "b"]  # input order, the two that carry the signal
    model = preprocessor.named_steps["model_importance"].estimator_
    kind = {"lightgbm": "LGBM", "l1": "Lasso" if problem == "regression" else "Logistic"}
    assert type(model).__name__.startswith(kind[estimator])


def test_l1_strength_is_the_inverse_penalty() -> None:
    params = make_params(
        numeric=[{"columns": ["a"]}],
        selection={
            "variance_threshold": None,
            "model_importance": {"estimator": "l1", "k": 1, "strength": 4.0},
        },
    )
    regression = build_preprocessor(params, "regression", 0).named_steps["model_importance"]
    classification = build_preprocessor(params, "classification", 0)["model_importance"]

    assert regression.estimator.alpha == 0.25
    assert classification.estimator.C == 4.0
    assert classification.estimator.l1_ratio == 1.0


def test_selectors_run_in_the_documented_order() -> None:
    params = make_params(
        numeric=[{"columns": ["a"]}],
        selection={
            "variance_threshold": 0.0,
            "correlation_threshold": 0.9,
            "mutual_information": {"k": 1},
            "model_importance": {"estimator": "l1", "k": 1},
        },
    )

    steps = [name for name, _ in build_preprocessor(params, "regression", 0).steps]

    assert steps == [
        "transform",
        "variance_threshold",
        "correlation_filter",
        "mutual_information",
        "model_importance",
    ]


# -------------------------------------------------------------------------------------------
# names and problems


def test_output_feature_names_stay_readable() -> None:
    params = make_params(
        numeric=[
            {"columns": ["Age", "Income"]},
            {"columns": ["Overall.Qual"], "polynomial": {"degree": 2}},
        ],
        categorical=[
            {"columns": ["Home"], "encoder": "onehot"},
            {"columns": ["Records"], "encoder": "ordinal"},
            {"columns": ["Neighborhood"], "encoder": "target"},
        ],
    )
    table = pd.DataFrame(
        {
            "Age": [20, 30, 40, 50, 60],
            "Income": [1.0, 2.0, 3.0, 4.0, 5.0],
            "Overall.Qual": [1, 2, 3, 4, 5],
            "Home": ["rent", "owner", "rent", "owner", "rent"],
            "Records": ["no", "yes", "no", "no", "no"],
            "Neighborhood": ["N", "S", "N", "S", "N"],
            "unused": [0, 0, 0, 0, 0],
        }
    )

    out = fit_transform(params, table, pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]))

    assert list(out.columns) == [
        "Age",
        "Income",
        "Overall.Qual",
        "Overall.Qual^2",
        "Home_owner",
        "Home_rent",
        "Records",
        "Neighborhood",
    ]


@pytest.mark.parametrize(
    ("column_name", "label", "name"),
    [
        ("Home", "rent", "Home_rent"),
        ("Home", "rent own", "Home_rent_own"),
        ("MS.Zoning", "C (all)", "MS.Zoning_C_(all)"),
        ("c", "a\"b,c:d[e]{f}'g\th", "c_a_b_c_d_e__f__g_h"),
        ("Lot Area", 3, "Lot_Area_3"),
    ],
)
def test_onehot_feature_name(column_name: str, label: object, name: str) -> None:
    assert onehot_feature_name(column_name, label) == name


def test_lightgbm_after_the_preprocessor_accepts_labels_with_unsafe_characters() -> None:
    from lightgbm import LGBMClassifier

    rng = np.random.default_rng(0)
    labels = np.array(["rent own", "a,b", 'say "hi"', "x:y", "[k]"])
    table = pd.DataFrame({"a": rng.normal(size=100), "home": labels[np.arange(100) % 5]})
    y = pd.Series(np.where(table["a"] > 0, "good", "bad"))
    params = make_params(
        numeric=[{"columns": ["a"]}],
        categorical=[{"columns": ["home"], "encoder": "onehot"}],
        selection={
            "variance_threshold": 0.0,
            "model_importance": {"estimator": "lightgbm", "k": 4},
        },
    )
    model = LGBMClassifier(n_estimators=5, n_jobs=1, verbose=-1)
    pipeline = Pipeline(
        [("features", build_preprocessor(params, "classification", 0)), ("model", model)]
    )

    pipeline.fit(table, y)
    predictions = pipeline.predict(table.iloc[:7])  # no feature-name mismatch at predict time

    names = list(pipeline[:-1].get_feature_names_out())
    assert len(names) == 4 and "a" in names
    assert model.booster_.feature_name() == names  # LightGBM kept every name as it is
    assert set(predictions) <= {"good", "bad"} and len(predictions) == 7


def test_an_unknown_problem_is_a_clear_error() -> None:
    params = make_params(numeric=[{"columns": ["a"]}])
    with pytest.raises(
        ValueError,
        match=r"parameters_tasks.yml: tasks.<task>.problem must be one of \['classification', "
        r"'regression'\], got 'clustering'",
    ):
        build_preprocessor(params, "clustering", 0)  # type: ignore[arg-type]


def test_the_preprocessor_is_unfitted_and_outputs_pandas() -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    preprocessor = build_preprocessor(make_params(numeric=[{"columns": ["a"]}]), "regression", 0)

    with pytest.raises(NotFittedError):
        check_is_fitted(preprocessor)
    assert isinstance(preprocessor.named_steps["transform"], ColumnTransformer)
    assert preprocessor.named_steps["transform"].remainder == "drop"
    out = preprocessor.fit_transform(pd.DataFrame({"a": [1.0, 2.0]}, index=[7, 9]))
    assert isinstance(out, pd.DataFrame) and list(out.index) == [7, 9]


# -------------------------------------------------------------------------------------------
# the leakage rule: inside cross-validation every fitted statistic comes from the fold's
# training rows alone, and no validation row is ever passed to fit

FITS: list[tuple[str, frozenset]] = []
TRANSFORMS: list[tuple[str, frozenset]] = []


class Spy(TransformerMixin, BaseEstimator):
    """Passes frames through, recording the index of every frame it is fitted on."""

    def __init__(self, name: str = "spy") -> None:
        self.name = name

    def fit(self, X: pd.DataFrame, y: Any = None) -> Spy:  # noqa: N803
        FITS.append((self.name, frozenset(X.index)))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        TRANSFORMS.append((self.name, frozenset(X.index)))
        return X

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_


N_ROWS, N_FOLDS = 40, 4  # KFold without shuffling: fold i validates rows 10i .. 10i + 9


@pytest.fixture
def leakage_table() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(3)
    a = rng.normal(size=N_ROWS)
    a[[1, 15, 33]] = np.nan
    table = pd.DataFrame(
        {
            "a": a,
            "b": rng.uniform(0, 100, size=N_ROWS),
            # varies only inside fold 1's validation rows: constant for that fold's training
            "k": [2.0 if 10 <= i < 20 else 1.0 for i in range(N_ROWS)],
            # "w" appears only among fold 0's validation rows
            "c": ["w" if i < 3 else ("u" if i % 2 else "v") for i in range(N_ROWS)],
            "g": [f"g{i % 5}" for i in range(N_ROWS)],
        },
        # not 0..n-1, so positions and labels cannot be confused
        index=pd.RangeIndex(100, 100 + N_ROWS),
    )
    y = pd.Series(rng.normal(size=N_ROWS) + table["b"] / 50, index=table.index)
    return table, y


def _leakage_preprocessor() -> Pipeline:
    params = make_params(
        numeric=[
            {"columns": ["a", "b"], "impute": "median", "scaler": "standard"},
            {"columns": ["k"], "impute": None, "scaler": "none"},
        ],
        categorical=[
            {"columns": ["c"], "encoder": "onehot"},
            {"columns": ["g"], "encoder": "target"},
        ],
        selection={"variance_threshold": 0.0, "correlation_threshold": 0.99},
    )
    return build_preprocessor(params, "regression", random_state=0)


def _fitted_state(estimator: Any, path: str = "") -> dict[str, Any]:
    """Every learned attribute (name ending in ``_``) of ``estimator`` and its sub-steps."""
    state: dict[str, Any] = {}
    if isinstance(estimator, Pipeline):
        for name, step in estimator.steps:
            state |= _fitted_state(step, f"{path}/{name}")
        return state
    if isinstance(estimator, ColumnTransformer):
        for name, step in estimator.named_transformers_.items():
            state |= _fitted_state(step, f"{path}/{name}")
        return state
    if isinstance(estimator, BaseEstimator):
        for attribute, value in vars(estimator).items():
            if attribute.endswith("_") and not attribute.startswith("_"):
                if isinstance(value, BaseEstimator | KFold):
                    continue
                state[f"{path}.{attribute}"] = value
    return state


def _assert_same(left: Any, right: Any, where: str) -> None:
    if isinstance(left, list | tuple):
        assert len(left) == len(right), where
        for one, other in zip(left, right, strict=True):
            _assert_same(one, other, where)
    elif isinstance(left, np.ndarray) and left.dtype.kind in "fc":
        np.testing.assert_allclose(left, right, err_msg=where)
    elif isinstance(left, np.ndarray):
        np.testing.assert_array_equal(left, right, err_msg=where)
    else:
        assert left == right, where


def test_cross_validation_fits_every_step_on_the_training_fold_only(
    leakage_table: tuple[pd.DataFrame, pd.Series],
) -> None:
    table, y = leakage_table
    model = Pipeline([("features", _leakage_preprocessor()), ("model", LinearRegression())])

    result = cross_validate(
        model,
        table,
        y,
        cv=KFold(n_splits=N_FOLDS),
        return_estimator=True,
        return_indices=True,
    )

    for fold, (fitted, train) in enumerate(
        zip(result["estimator"], result["indices"]["train"], strict=True)
    ):
        train_rows, train_y = table.iloc[train], y.iloc[train]
        features = fitted.named_steps["features"]
        transform = features.named_steps["transform"]
        numeric = transform.named_transformers_["numeric_1"]

        # the imputer's medians and the scaler's means/variances: training rows alone
        medians = train_rows[["a", "b"]].median()
        np.testing.assert_allclose(numeric["impute"].statistics_, medians)
        imputed = train_rows[["a", "b"]].fillna(medians)
        np.testing.assert_allclose(numeric["scale"].mean_, imputed.mean())
        np.testing.assert_allclose(numeric["scale"].var_, imputed.var(ddof=0))

        # the one-hot categories: "w" exists only in fold 0's validation rows
        categories = transform.named_transformers_["onehot_1"]["encode"].categories_
        expected = ["u", "v"] if fold == 0 else ["u", "v", "w"]
        assert [list(c) for c in categories] == [expected]

        # the target encoding: the means of the training rows' targets
        encoder = transform.named_transformers_["target_2"]["encode"]
        alone = TargetEncoder(target_type="continuous").fit(train_rows[["g"]], train_y)
        np.testing.assert_allclose(encoder.encodings_[0], alone.encodings_[0])
        assert encoder.target_mean_ == pytest.approx(train_y.mean())

        # the selected features: k is constant on fold 1's training rows, so dropped there
        selected = list(features.get_feature_names_out())
        assert ("k" in selected) == (fold != 1)
        assert ("c_w" in selected) == (fold != 0)

        # and every learned attribute of every step equals a fit on the training rows alone
        reference = clone(_leakage_preprocessor()).fit(train_rows, train_y)
        assert list(reference.get_feature_names_out()) == selected
        expected_state = _fitted_state(reference)
        actual_state = _fitted_state(features)
        assert actual_state.keys() == expected_state.keys()
        for key, value in expected_state.items():
            _assert_same(actual_state[key], value, key)


def test_cross_validation_never_fits_on_a_validation_row(
    leakage_table: tuple[pd.DataFrame, pd.Series],
) -> None:
    table, y = leakage_table
    preprocessor = _leakage_preprocessor()
    preprocessor.steps.insert(1, ("spy_before_selectors", Spy("selectors")))
    model = Pipeline(
        [
            ("spy_input", Spy("input")),
            ("features", preprocessor),
            ("spy_model", Spy("model")),
            ("model", LinearRegression()),
        ]
    )
    FITS.clear()
    TRANSFORMS.clear()

    result = cross_validate(
        model, table, y, cv=KFold(n_splits=N_FOLDS), return_indices=True, error_score="raise"
    )

    folds = [
        (frozenset(table.index[train]), frozenset(table.index[test]))
        for train, test in zip(result["indices"]["train"], result["indices"]["test"], strict=True)
    ]
    # each spy is fitted once a fold, on exactly that fold's training rows
    assert len(FITS) == 3 * N_FOLDS
    for fold, (train, test) in enumerate(folds):
        fitted = [name for name, rows in FITS if rows == train]
        assert sorted(fitted) == ["input", "model", "selectors"], fold
        assert all(not rows & test for _, rows in FITS[3 * fold : 3 * fold + 3])
    # the spies did see the validation rows, at predict time only
    for _, test in folds:
        assert {name for name, rows in TRANSFORMS if rows == test} == {
            "input",
            "model",
            "selectors",
        }


def test_importance_model_and_target_folds_come_from_the_parameters() -> None:
    params = FeatureParams.model_validate(
        {
            "transform": {
                "numeric": [{"columns": ["a"]}],
                "categorical": [{"columns": ["c"], "encoder": "target", "target_folds": 3}],
            },
            "selection": {"model_importance": {"estimator": "lightgbm", "k": 1, "n_estimators": 7}},
        }
    )
    l1 = params.selection.model_importance.model_copy(update={"estimator": "l1", "max_iter": 9})

    pipeline = build_preprocessor(params, "regression", random_state=0)

    encoder = pipeline.named_steps["transform"].transformers[1][1].named_steps["encode"]
    assert encoder.cv.get_n_splits() == 3
    assert pipeline.named_steps["model_importance"].estimator.n_estimators == 7
    assert _importance_model(l1, "classification", 0).max_iter == 9
    assert _importance_model(l1, "regression", 0).max_iter == 9
