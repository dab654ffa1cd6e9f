"""The modelling_tabular pipeline, run whole with SequentialRunner on an in-memory catalog.

Its inputs are small synthetic feature tables (one classification task, one regression task,
under the project's task namespaces) and fast parameters, so the wiring is tested, not the
shipped search budget.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from project_runs import PROJECT_ROOT, catalog_datasets
from roadmap_pipelines.ml.features.native import build_native_preprocessor
from roadmap_pipelines.ml.features.preprocessor import build_preprocessor
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines import modelling_tabular

PROBLEMS = {"credit": "classification", "ames": "regression"}
TARGETS = {"credit": "Status", "ames": "price"}
# two synthetic tasks (one per problem), named explicitly: independent of conf\'s task list
TABULAR_TASKS = tuple(TARGETS)
OUTPUTS = (
    "search_trials",
    "leaderboard",
    "fit_times",
    "model",
    "model_metadata",
    "test_metrics",
    "test_predictions",
)
NODES = ("search_candidates", "refit_best", "evaluate_on_test", "describe_model")
PARAMS = {
    "credit": {
        "metrics": ["roc_auc", "f1"],
        "rank_by": "roc_auc",
        "positive_class": "bad",
        "cv": {"strategy": "stratified_kfold", "n_splits": 3},
        "search": {"method": "random", "n_trials": 2},
        "candidates": {
            "logistic": {
                "estimator": "logistic_regression",
                "search_space": {"C": {"type": "float", "low": 0.1, "high": 10, "log": True}},
            },
            "lgbm": {
                "estimator": "lightgbm",
                "params": {"n_estimators": 10, "min_child_samples": 5},
            },
        },
    },
    "ames": {
        "metrics": ["rmse", "r2"],
        "rank_by": "rmse",
        "cv": {"strategy": "kfold", "n_splits": 3},
        "search": {"method": "grid"},
        "candidates": {
            "ridge": {
                "estimator": "ridge",
                "search_space": {"alpha": {"type": "categorical", "choices": [0.1, 10.0]}},
            },
            "knn": {"estimator": "knn"},
        },
    },
}


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so intermediate outputs stay readable."""

    def _release(self) -> None:
        pass


def _table(task: str, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "num": rng.normal(size=rows),
            "count": pd.array(rng.integers(0, 5, rows), dtype="Int64"),
            "kind": pd.Categorical(rng.choice(["p", "q"], rows)),
        }
    )
    signal = 2 * table["num"] + (table["kind"] == "p") + rng.normal(scale=0.5, size=rows)
    if task == "credit":
        table["Status"] = pd.Categorical(np.where(signal > 0.5, "bad", "good"))
    else:
        table["price"] = 100 + 10 * signal
    return table


def _catalog() -> DataCatalog:
    features = FeatureParams.model_validate(
        {
            "transform": {
                "numeric": [{"columns": ["num", "count"]}],
                "categorical": [{"columns": ["kind"], "encoder": "onehot"}],
            }
        }
    )
    datasets: dict[str, Any] = {"params:random_state": MemoryDataset(42)}
    for number, task in enumerate(TABULAR_TASKS):
        target = TARGETS[task]
        datasets |= {
            f"{task}.feature_train": MemoryDataset(_table(task, 90, number)),
            f"{task}.feature_test": MemoryDataset(_table(task, 30, 10 + number)),
            f"{task}.feature_preprocessor": MemoryDataset(
                build_preprocessor(features, PROBLEMS[task], 42), copy_mode="assign"
            ),
            f"{task}.feature_tree_preprocessor": MemoryDataset(
                build_native_preprocessor(features.transform), copy_mode="assign"
            ),
            f"params:modelling_tabular.{task}": MemoryDataset(
                TabularModelling.model_validate(PARAMS[task])
            ),
            f"params:tasks.{task}": MemoryDataset(
                TaskParams.model_validate(
                    {
                        "dataset": f"{task}.tabular_raw",
                        "target": target,
                        "problem": PROBLEMS[task],
                        "columns": {target: {"dtype": "category" if task == "credit" else "float"}},
                    }
                )
            ),
            f"params:tasks.{task}.problem": MemoryDataset(PROBLEMS[task]),
        }
        datasets |= {f"{task}.{name}": KeptDataset(copy_mode="assign") for name in OUTPUTS}
    return DataCatalog(datasets)


@pytest.fixture(scope="module")
def outputs() -> dict[str, Any]:
    catalog = _catalog()
    SequentialRunner().run(modelling_tabular.create_pipeline(tasks=TABULAR_TASKS), catalog)
    return {
        f"{task}.{name}": catalog.load(f"{task}.{name}")
        for task in TABULAR_TASKS
        for name in (*OUTPUTS, "feature_test")
    }


def test_pipeline_runs_once_per_task_under_its_namespace() -> None:
    pipeline = modelling_tabular.create_pipeline(tasks=TABULAR_TASKS)

    assert pipeline.inputs() == {
        "params:random_state",
        *(
            f"{prefix}.{task}"
            for task in TABULAR_TASKS
            for prefix in ("params:modelling_tabular", "params:tasks")
        ),
        *(f"params:tasks.{task}.problem" for task in TABULAR_TASKS),
        *(
            f"{task}.{name}"
            for task in TABULAR_TASKS
            for name in (
                "feature_train",
                "feature_test",
                "feature_preprocessor",
                "feature_tree_preprocessor",
            )
        ),
    }
    assert pipeline.all_outputs() == {
        f"{task}.{name}" for task in TABULAR_TASKS for name in OUTPUTS
    }
    assert {node.name for node in pipeline.nodes} == {
        f"{task}.{name}" for task in TABULAR_TASKS for name in NODES
    }
    # search → refit → test metrics → metadata, in that order, per task
    order = [node.name for node in pipeline.nodes]
    for task in TABULAR_TASKS:
        positions = [order.index(f"{task}.{name}") for name in NODES]
        assert positions == sorted(positions)


def test_every_output_has_a_catalog_entry_with_the_right_type() -> None:
    datasets = catalog_datasets(PROJECT_ROOT)
    for task in TABULAR_TASKS:
        types = {name: type(datasets[f"{task}.{name}"]).__name__ for name in OUTPUTS}
        assert types == {
            "search_trials": "CSVDataset",
            "leaderboard": "CSVDataset",
            "fit_times": "JSONDataset",
            "model": "HashCheckedPickleDataset",
            "model_metadata": "JSONDataset",
            "test_metrics": "JSONDataset",
            "test_predictions": "ParquetDataset",
        }
        model = datasets[f"{task}.model"]
        assert model._backend == "roadmap_pipelines.ml.canonical_pickle"
        assert str(model._filepath).endswith(f"data/06_models/{task}/model.pkl")
        assert datasets[f"{task}.fit_times"].metadata["reproducible"] is False


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_outputs_chain_from_search_to_metadata(task: str, outputs: dict[str, Any]) -> None:
    board = outputs[f"{task}.leaderboard"]
    trials = outputs[f"{task}.search_trials"]
    model = outputs[f"{task}.model"]
    meta = outputs[f"{task}.model_metadata"]
    report = outputs[f"{task}.test_metrics"]
    predictions = outputs[f"{task}.test_predictions"]
    test = outputs[f"{task}.feature_test"]

    assert set(board["candidate"]) == set(PARAMS[task]["candidates"])
    assert set(trials["candidate"]) == set(PARAMS[task]["candidates"])
    assert isinstance(model, Pipeline) and [name for name, _ in model.steps] == [
        "features",
        "model",
    ]
    check_is_fitted(model)
    best = board.loc[board["best"]].iloc[0]
    assert meta["candidate"] == best["candidate"] and meta["params"] == json.loads(best["params"])
    assert meta["problem"] == report["problem"] == PROBLEMS[task]
    assert meta["test"] == report["metrics"]
    assert report["rows"] == len(test) == len(predictions)
    np.testing.assert_array_equal(
        predictions["predicted"], model.predict(test.drop(columns=TARGETS[task]))
    )
    assert set(outputs[f"{task}.fit_times"]) == set(PARAMS[task]["candidates"])


def test_each_task_is_scored_for_its_own_problem(outputs: dict[str, Any]) -> None:
    credit, ames = outputs["credit.test_metrics"], outputs["ames.test_metrics"]
    assert set(credit["metrics"]) == {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "log_loss",
    }
    assert set(ames["metrics"]) == {"mse", "rmse", "mae", "r2"}
    assert credit["metrics"]["roc_auc"] > 0.8
    assert ames["metrics"]["r2"] > 0.8
    assert len(outputs["credit.search_trials"]) == 2 + 1  # 2 random trials + a fixed candidate
    assert len(outputs["ames.search_trials"]) == 2 + 1  # a 2-point grid + a fixed candidate
