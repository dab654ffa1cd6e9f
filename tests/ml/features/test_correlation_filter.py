"""The correlation filter keeps the first of each highly correlated pair, in input order."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from roadmap_pipelines.ml.features.correlation_filter import CorrelationFilter


@pytest.fixture
def frame() -> pd.DataFrame:
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    return pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + 1,  # r(a, b) = 1
            # centred c = [2, 0, 1, -2, -1], centred a = [-2, -1, 0, 1, 2]:
            # r(a, c) = -8 / sqrt(10 * 10) = -0.8
            "c": [5.0, 3.0, 4.0, 1.0, 2.0],
            "d": -a,  # r(a, d) = -1: the absolute value counts
        }
    )


def test_the_first_of_a_correlated_pair_is_kept(frame: pd.DataFrame) -> None:
    selector = CorrelationFilter(threshold=0.9).fit(frame)

    assert selector.get_support().tolist() == [True, False, True, False]
    assert list(selector.get_feature_names_out()) == ["a", "c"]
    expected = np.array(
        [
            [1.0, 1.0, 0.8, 1.0],
            [1.0, 1.0, 0.8, 1.0],
            [0.8, 0.8, 1.0, 0.8],
            [1.0, 1.0, 0.8, 1.0],
        ]
    )
    np.testing.assert_allclose(selector.correlations_, expected)


def test_order_decides_which_of_a_pair_survives(frame: pd.DataFrame) -> None:
    reordered = frame[["d", "c", "b", "a"]]

    selector = CorrelationFilter(threshold=0.9).fit(reordered)

    assert list(selector.get_feature_names_out()) == ["d", "c"]


def test_a_lower_threshold_drops_more(frame: pd.DataFrame) -> None:
    # |r(a, c)| = 0.8 exceeds 0.75, so c goes too
    assert list(CorrelationFilter(0.75).fit(frame).get_feature_names_out()) == ["a"]


def test_threshold_one_keeps_even_perfect_duplicates(frame: pd.DataFrame) -> None:
    assert CorrelationFilter(1.0).fit(frame).get_support().all()


def test_a_feature_is_only_compared_with_kept_ones() -> None:
    # r(x, y) = r(y, z) = 0.96 > 0.95 but r(x, z) = 0.84: y is dropped, so z stays
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    y = x + 0.3 * rng.normal(size=2000)
    z = y + 0.3 * rng.normal(size=2000)
    table = pd.DataFrame({"x": x, "y": y, "z": z})
    selector = CorrelationFilter(0.95).fit(table)

    corr = table.corr().abs()
    assert corr.loc["x", "y"] > 0.95 and corr.loc["y", "z"] > 0.95
    assert corr.loc["x", "z"] <= 0.95
    assert list(selector.get_feature_names_out()) == ["x", "z"]


def test_a_constant_feature_is_kept_without_nan_warnings(frame: pd.DataFrame) -> None:
    table = frame.assign(k=7.0)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        selector = CorrelationFilter(0.9).fit(table)

    assert list(selector.get_feature_names_out()) == ["a", "c", "k"]
    assert not np.isnan(selector.correlations_).any()
    # no defined correlation with anything: recorded as 0, even on the diagonal
    assert selector.correlations_[4].tolist() == [0.0] * 5


def test_a_single_feature_is_kept() -> None:
    selector = CorrelationFilter(0.5).fit(pd.DataFrame({"a": [1.0, 2.0, 4.0]}))
    assert selector.get_support().tolist() == [True]
    assert selector.correlations_.shape == (1, 1)


@pytest.mark.parametrize("threshold", [0, -0.1, 1.01, 2])
def test_threshold_outside_zero_one_is_refused(frame: pd.DataFrame, threshold: float) -> None:
    with pytest.raises(ValueError, match=rf"threshold must lie in \(0, 1\], got {threshold}"):
        CorrelationFilter(threshold).fit(frame)


def test_missing_values_are_refused(frame: pd.DataFrame) -> None:
    # put an imputer before the filter; NaN correlations would silently keep everything
    with pytest.raises(ValueError, match="Input X contains NaN"):
        CorrelationFilter().fit(frame.assign(a=[1.0, np.nan, 3.0, 4.0, 5.0]))


def test_transform_with_pandas_output(frame: pd.DataFrame) -> None:
    selector = CorrelationFilter(0.9).set_output(transform="pandas").fit(frame)

    out = selector.transform(frame)

    pd.testing.assert_frame_equal(out, frame[["a", "c"]])
    assert list(selector.get_feature_names_out()) == ["a", "c"]
    assert list(selector.feature_names_in_) == ["a", "b", "c", "d"]


def test_numpy_input_gets_generic_names(frame: pd.DataFrame) -> None:
    selector = CorrelationFilter(0.9).fit(frame.to_numpy())

    assert list(selector.get_feature_names_out()) == ["x0", "x2"]
    np.testing.assert_array_equal(
        selector.transform(frame.to_numpy()), frame[["a", "c"]].to_numpy()
    )


def test_inside_a_pipeline_with_pandas_output(frame: pd.DataFrame) -> None:
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("filter", CorrelationFilter(0.9))]
    ).set_output(transform="pandas")

    out = pipeline.fit_transform(frame)

    assert list(out.columns) == ["a", "c"]
    assert list(pipeline.get_feature_names_out()) == ["a", "c"]
    # a (1..5) standardised: population std sqrt(2)
    np.testing.assert_allclose(out["a"], (frame["a"] - 3.0) / np.sqrt(2.0))


def test_transform_checks_the_feature_count(frame: pd.DataFrame) -> None:
    selector = CorrelationFilter(0.9).fit(frame.to_numpy())
    with pytest.raises(ValueError, match="has 2 features, but CorrelationFilter is expecting 4"):
        selector.transform(frame[["a", "b"]].to_numpy())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_follows_the_scikit_learn_estimator_api() -> None:
    results = check_estimator(CorrelationFilter(), on_fail=None)
    failed = [result["check_name"] for result in results if result["status"] == "failed"]
    assert failed == []
