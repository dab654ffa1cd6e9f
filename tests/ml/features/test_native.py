"""The tree models' fast path: columns as they are, categories with frozen training levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from roadmap_pipelines.ml.features.native import NativeColumns, build_native_preprocessor
from roadmap_pipelines.params.feature_engineering import Transform


def _native() -> NativeColumns:
    return NativeColumns(
        numeric=["n x"], categorical=["colour"], ordered={"grade": ["low", "mid", "high"]}
    )


def test_levels_are_learnt_on_the_fitted_rows_only_and_unseen_become_missing() -> None:
    train = pd.DataFrame(
        {
            "n x": pd.array([1, None, 3], dtype="Int64"),
            "colour": ["red", "blue", None],
            "grade": ["mid", "low", "high"],
            "unused": [9, 9, 9],
        }
    )
    test = pd.DataFrame(
        {
            "n x": pd.array([None, 5], dtype="Int64"),
            "colour": ["green", "red"],
            "grade": ["top", None],
            "unused": [0, 0],
        }
    )
    fitted = clone(_native()).fit(train)
    out = fitted.transform(test)

    assert list(out.columns) == ["n_x", "grade", "colour"]
    assert list(fitted.feature_names_in_) == ["n x", "colour", "grade", "unused"]
    assert out["colour"].dtype == pd.CategoricalDtype(["blue", "red"])
    assert out["colour"].isna().tolist() == [True, False]  # green was not in training
    assert out["n_x"].dtype == "Int64" and out["n_x"].isna().tolist() == [True, False]
    assert out["n_x"].array is test["n x"].array  # passed on, not copied or imputed
    assert np.isnan(out["grade"]).all()  # unknown and missing grades
    np.testing.assert_array_equal(fitted.transform(train)["grade"], [1.0, 0.0, 2.0])
    assert list(fitted.get_feature_names_out()) == ["n_x", "grade", "colour"]


def test_a_categorical_input_keeps_only_the_training_levels_it_used() -> None:
    column = pd.Categorical(["b", "a", "b"], categories=["a", "b", "z"])
    fitted = NativeColumns(categorical=["c"]).fit(pd.DataFrame({"c": column}))

    later = pd.DataFrame({"c": pd.Categorical(["z", "a"], categories=["a", "b", "z"])})
    out = fitted.transform(later)["c"]

    assert list(out.cat.categories) == ["a", "b"]
    assert out.isna().tolist() == [True, False]


def test_missing_columns_and_arrays_are_refused_with_their_names() -> None:
    fitted = _native()
    with pytest.raises(ValueError, match=r"columns \['grade'\] are not in the input"):
        fitted.fit(pd.DataFrame({"n x": [1.0], "colour": ["a"]}))
    with pytest.raises(ValueError, match="needs a pandas DataFrame"):
        fitted.fit(np.zeros((2, 3)))


def test_builder_maps_groups_to_numeric_ordered_and_categorical_columns() -> None:
    transform = Transform.model_validate(
        {
            "numeric": [{"columns": ["a", "b"], "scaler": "standard", "polynomial": {"degree": 2}}],
            "categorical": [
                {"columns": ["c"], "encoder": "onehot", "min_frequency": 5},
                {"columns": ["d"], "encoder": "target"},
                {"columns": ["e"], "encoder": "ordinal", "categories": {"e": ["x", "y"]}},
                {"columns": ["f"], "encoder": "ordinal"},
            ],
        }
    )
    native = build_native_preprocessor(transform).named_steps["native"]

    assert native.numeric == ["a", "b"]
    assert native.ordered == {"e": ["x", "y"]}
    assert native.categorical == ["c", "d", "f"]
