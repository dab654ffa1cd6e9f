"""The feature report's row budget (``feature_engineering.<task>.report_rows``): above it the
report's copy of the preprocessor and its correlation matrix are fitted on a seeded sample."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.pipelines.feature_engineering.nodes import (
    report_features,
    specify_preprocessor,
)

TRANSFORM = {"numeric": [{"columns": ["flag", "noise"], "impute": None, "scaler": "none"}]}


def tabular(target_dtype: str) -> TabularParams:
    return TabularParams.model_validate(
        {
            "dataset": "toy",
            "target": "y",
            "columns": {"y": {"dtype": target_dtype}},
            "split": {"strategy": "random", "test_size": 0.25},
        }
    )


def feature_params(report_rows: int | None) -> FeatureParams:
    return FeatureParams.model_validate(
        {
            "transform": TRANSFORM,
            "selection": {"variance_threshold": 0.0},
            "report_rows": report_rows,
        }
    )


@pytest.fixture
def train() -> pd.DataFrame:
    # 1,000 rows, 10 % of them "yes"; flag is the target as 0/1, so the variance the report
    # gives flag is p (1 - p) of the rows it was fitted on
    rng = np.random.default_rng(0)
    labels = np.array(["no"] * 900 + ["yes"] * 100)
    rng.shuffle(labels)
    return pd.DataFrame(
        {
            "flag": (labels == "yes").astype("float64"),
            "noise": rng.normal(size=1000),
            "y": pd.Categorical(labels),
        }
    )


def report(
    train: pd.DataFrame, report_rows: int | None, seed: int = 7, problem: str = "classification"
) -> tuple[dict[str, Any], pd.DataFrame]:
    params = feature_params(report_rows)
    target = tabular("category" if problem == "classification" else "float")
    preprocessor = specify_preprocessor(train, params, target, problem, seed)
    return report_features(preprocessor, train, params, target, problem, seed)


def test_a_larger_table_is_reported_from_a_stratified_sample(train: pd.DataFrame) -> None:
    result, _ = report(train, 100)

    assert result["fitted_on"] == {
        "rows": 100,
        "training_rows": 1000,
        "sampled": True,
        "stratified_by": "y",
        "seed": 7,
    }
    # stratified: exactly 10 of the 100 rows are "yes", so flag's variance is 0.1 * 0.9
    assert result["selectors"]["variance_threshold"]["scores"]["flag"] == pytest.approx(0.09)
    # the noise column's variance is a sample's, not the table's
    full, _ = report(train, None)
    noise = result["selectors"]["variance_threshold"]["scores"]["noise"]
    assert noise != full["selectors"]["variance_threshold"]["scores"]["noise"]


def test_the_sample_depends_on_the_seed_only(train: pd.DataFrame) -> None:
    first, first_matrix = report(train, 100, seed=7)
    again, again_matrix = report(train, 100, seed=7)
    other, other_matrix = report(train, 100, seed=8)

    assert first == again
    pd.testing.assert_frame_equal(first_matrix, again_matrix)
    scores = first["selectors"]["variance_threshold"]["scores"]
    assert scores != other["selectors"]["variance_threshold"]["scores"]
    assert not first_matrix.equals(other_matrix)  # the correlation matrix is sampled too


def test_a_regression_sample_is_not_stratified(train: pd.DataFrame) -> None:
    regression = train.assign(y=train["noise"] * 2.0)

    result, _ = report(regression, 250, problem="regression")

    assert result["fitted_on"]["rows"] == 250
    assert result["fitted_on"]["stratified_by"] is None


def test_a_class_with_a_single_row_leaves_the_sample_unstratified(train: pd.DataFrame) -> None:
    single = train.assign(y=pd.Categorical(["no"] * 999 + ["maybe"]))

    result, _ = report(single, 100)

    assert result["fitted_on"]["rows"] == 100
    assert result["fitted_on"]["stratified_by"] is None


@pytest.mark.parametrize("budget", [1000, 5000])
def test_a_table_within_the_budget_is_reported_from_every_row(
    train: pd.DataFrame, budget: int
) -> None:
    result, matrix = report(train, budget)
    every_row, every_row_matrix = report(train, None)

    assert result == every_row
    pd.testing.assert_frame_equal(matrix, every_row_matrix)
    assert result["fitted_on"] == {"rows": 1000, "training_rows": 1000, "sampled": False}
    # every row: flag is "yes" on exactly 100 of 1,000
    assert result["selectors"]["variance_threshold"]["scores"]["flag"] == pytest.approx(0.09)
    np.testing.assert_allclose(
        result["selectors"]["variance_threshold"]["scores"]["noise"],
        train["noise"].var(ddof=0),
        rtol=1e-7,
    )


def test_the_default_budget_is_200_000_rows() -> None:
    assert FeatureParams.model_validate({"transform": TRANSFORM}).report_rows == 200_000


@pytest.mark.parametrize("budget", [0, -5, 2.5, "all"])
def test_a_bad_budget_is_refused_naming_the_parameter(budget: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        FeatureParams.model_validate({"transform": TRANSFORM, "report_rows": budget})

    message = str(raised.value)
    assert "parameters_feature_engineering.yml: feature_engineering.<task>" in message
    assert "report_rows" in message
