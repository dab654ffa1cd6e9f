"""The feature_engineering pipeline, run whole with SequentialRunner on an in-memory catalog.

Its inputs are the shipped raw data cleaned and split by the preprocessing pipeline (also in
memory), and the shipped parameter files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import PreprocessingParams
from roadmap_pipelines.pipelines import feature_engineering, preprocessing
from task_config import requires_tasks, task_declarations, task_parameter_inputs

# example-data tests: the shipped tables and their parameters
pytestmark = requires_tasks("credit", "ames")
TABULAR_TASKS = ("credit", "ames")

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "conf" / "base"
OUTPUTS = (
    "feature_train",
    "feature_test",
    "feature_preprocessor",
    "feature_tree_preprocessor",
    "feature_report",
    "feature_correlation_matrix",
)


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so intermediate outputs stay readable."""

    def _release(self) -> None:
        pass


def _yaml(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONF / name).read_text())


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    preprocessing_params = PreprocessingParams.model_validate(
        _yaml("parameters_preprocessing.yml")["preprocessing"]
    )
    features = _yaml("parameters_feature_engineering.yml")["feature_engineering"]
    return {
        "tabular": preprocessing_params.tabular,
        "features": {task: FeatureParams.model_validate(features[task]) for task in features},
        "preprocessing": preprocessing_params,
    }


@pytest.fixture(scope="module")
def splits(shipped: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The clean train and test splits of every task, from the preprocessing pipeline."""
    params = shipped["preprocessing"]
    catalog = DataCatalog(
        {
            "credit.tabular_raw": MemoryDataset(pd.read_csv(ROOT / "data/01_raw/credit.csv")),
            "ames.tabular_raw": MemoryDataset(pd.read_parquet(ROOT / "data/01_raw/ames.parquet")),
            "params:preprocessing.tabular.credit": MemoryDataset(params.tabular["credit"]),
            "params:preprocessing.tabular.ames": MemoryDataset(params.tabular["ames"]),
            **{
                name: MemoryDataset(value)
                for task in TABULAR_TASKS
                for name, value in task_parameter_inputs(task).items()
            },
            "params:random_state": MemoryDataset(42),
        }
    )
    tabular = preprocessing.create_pipeline(tasks=TABULAR_TASKS).only_nodes_with_namespaces(
        list(TABULAR_TASKS)
    )
    outputs = SequentialRunner().run(tabular, catalog)
    return {
        f"{task}.{split}": outputs[f"{task}.{split}"].load()
        for task in TABULAR_TASKS
        for split in ("tabular_train", "tabular_test")
    }


def _catalog(shipped: dict[str, Any], splits: dict[str, pd.DataFrame]) -> DataCatalog:
    datasets: dict[str, Any] = {name: MemoryDataset(frame) for name, frame in splits.items()}
    for task in TABULAR_TASKS:
        datasets[f"params:feature_engineering.{task}"] = MemoryDataset(shipped["features"][task])
        datasets |= {
            name: MemoryDataset(value) for name, value in task_parameter_inputs(task).items()
        }
        # registered up front so the intermediate outputs can be read after the run
        datasets |= {f"{task}.{name}": KeptDataset() for name in OUTPUTS}
    datasets["params:random_state"] = MemoryDataset(42)
    return DataCatalog(datasets)


@pytest.fixture(scope="module")
def outputs(shipped: dict[str, Any], splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    catalog = _catalog(shipped, splits)
    SequentialRunner().run(feature_engineering.create_pipeline(tasks=TABULAR_TASKS), catalog)
    return {
        f"{task}.{name}": catalog.load(f"{task}.{name}")
        for task in TABULAR_TASKS
        for name in OUTPUTS
    }


def test_pipeline_runs_once_per_task_under_its_namespace() -> None:
    pipeline = feature_engineering.create_pipeline(tasks=TABULAR_TASKS)

    assert pipeline.inputs() == {
        "params:random_state",
        *(
            f"params:{prefix}"
            for task in TABULAR_TASKS
            for prefix in (
                f"feature_engineering.{task}",
                f"tasks.{task}",
                f"tasks.{task}.problem",
            )
        ),
        *(f"{task}.tabular_{split}" for task in TABULAR_TASKS for split in ("train", "test")),
    }
    assert pipeline.all_outputs() == {
        f"{task}.{name}" for task in TABULAR_TASKS for name in OUTPUTS
    }
    assert {node.name for node in pipeline.nodes} == {
        f"{task}.{name}"
        for task in TABULAR_TASKS
        for name in (
            "create_train_features",
            "create_test_features",
            "specify_preprocessor",
            "specify_tree_preprocessor",
            "report_features",
        )
    }


def test_outputs_are_the_feature_tables_preprocessor_and_report(outputs: dict[str, Any]) -> None:
    for task in TABULAR_TASKS:
        assert isinstance(outputs[f"{task}.feature_train"], pd.DataFrame)
        assert isinstance(outputs[f"{task}.feature_test"], pd.DataFrame)
        assert isinstance(outputs[f"{task}.feature_preprocessor"], Pipeline)
        assert set(outputs[f"{task}.feature_report"]) == {
            "target",
            "input_columns",
            "unused_columns",
            "created_features",
            "transformed_features",
            "selectors",
            "selected_features",
            "fitted_on",
        }
        rows = len(outputs[f"{task}.feature_train"])  # far below the default report_rows
        assert outputs[f"{task}.feature_report"]["fitted_on"] == {
            "rows": rows,
            "training_rows": rows,
            "sampled": False,
        }
        assert isinstance(outputs[f"{task}.feature_correlation_matrix"], pd.DataFrame)


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_feature_tables_add_the_created_features(
    task: str,
    shipped: dict[str, Any],
    splits: dict[str, pd.DataFrame],
    outputs: dict[str, Any],
) -> None:
    creation = shipped["features"][task].creation
    test = outputs[f"{task}.feature_test"]
    raw_test = splits[f"{task}.tabular_test"]

    created = [
        *(f"{c}_{p}" for c, parts in creation.date_parts.items() for p in parts),
        *creation.formulas,
        *("_x_".join(group) for group in creation.interactions),
    ]
    assert list(test.columns) == [*raw_test.columns, *created]
    pd.testing.assert_frame_equal(test[raw_test.columns], raw_test)
    assert outputs[f"{task}.feature_report"]["created_features"] == sorted(created)


def test_credit_features_hold_the_declared_formulas(
    splits: dict[str, pd.DataFrame], outputs: dict[str, Any]
) -> None:
    test, raw = outputs["credit.feature_test"], splits["credit.tabular_test"]

    np.testing.assert_allclose(test["loan_to_price"], raw["Amount"] / raw["Price"])
    np.testing.assert_allclose(test["disposable_income"], raw["Income"] - raw["Expenses"])
    np.testing.assert_allclose(test["Age_x_Seniority"], raw["Age"] * raw["Seniority"])
    # Debt / Income with Income 0 is missing, never infinite
    ratio = test["debt_to_income"]
    assert not np.isinf(ratio).any()
    assert ratio.isna().sum() == (raw["Income"] == 0).sum()


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_preprocessor_is_unfitted_and_fits_on_the_train_features(
    task: str, shipped: dict[str, Any], outputs: dict[str, Any], splits: dict[str, pd.DataFrame]
) -> None:
    preprocessor = outputs[f"{task}.feature_preprocessor"]
    report = outputs[f"{task}.feature_report"]
    target = task_declarations()[task].target
    test = outputs[f"{task}.feature_test"]

    assert isinstance(preprocessor, Pipeline)
    with pytest.raises(NotFittedError):
        check_is_fitted(preprocessor)

    train = outputs[f"{task}.feature_train"]
    assert len(train) == len(splits[f"{task}.tabular_train"])
    fitted = clone(preprocessor).fit(train.drop(columns=target), train[target])
    transformed = fitted.transform(test.drop(columns=target))

    assert len(transformed) == len(test)
    assert transformed.notna().all().all()
    assert list(transformed.columns) == list(fitted.get_feature_names_out())
    assert set(transformed.columns) <= set(report["transformed_features"])


def test_credit_report_selected_features_match_a_fit(
    shipped: dict[str, Any], splits: dict[str, pd.DataFrame], outputs: dict[str, Any]
) -> None:
    report = outputs["credit.feature_report"]
    train = outputs["credit.feature_train"]
    fitted = clone(outputs["credit.feature_preprocessor"]).fit(
        train.drop(columns="Status"), train["Status"]
    )

    assert report["selected_features"] == list(fitted.get_feature_names_out())
    assert report["target"] == "Status"
    assert report["unused_columns"] == []


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_correlation_matrix_is_the_numeric_train_features(
    task: str, shipped: dict[str, Any], outputs: dict[str, Any], splits: dict[str, pd.DataFrame]
) -> None:
    matrix = outputs[f"{task}.feature_correlation_matrix"]
    target = task_declarations()[task].target

    assert list(matrix.index) == list(matrix.columns)
    assert target not in matrix.columns
    assert set(shipped["features"][task].creation.formulas) <= set(matrix.columns)
    np.testing.assert_allclose(matrix.to_numpy(), matrix.to_numpy().T, equal_nan=True)
    values = matrix.to_numpy()
    assert np.nanmax(np.abs(values)) <= 1.0
    if task == "credit":
        raw = splits["credit.tabular_train"]
        assert matrix.loc["Amount", "Price"] == pytest.approx(
            raw["Amount"].corr(raw["Price"]), abs=1e-6
        )
