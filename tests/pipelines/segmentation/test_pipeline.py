"""The segmentation pipeline, run whole with SequentialRunner on an in-memory catalog.

Both tasks get synthetic blobs behind a real feature preprocessor from ``build_preprocessor``:
``credit`` as a classification task (the blob is its class), ``ames`` as a regression task.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from roadmap_pipelines.ml.features.preprocessor import build_preprocessor
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.segmentation import SegmentationParams
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines import segmentation

OUTPUTS = (
    "pca_variance",
    "pca_loadings",
    "pca_embedding",
    "cluster_scores",
    "cluster_assignments",
    "dendrogram",
    "cluster_profiles",
    "tsne_embedding",
    "segmentation_summary",
)
PROBLEMS = {"credit": "classification", "ames": "regression"}
TARGETS = {"credit": "Status", "ames": "price"}
# two synthetic tasks (one per problem), given explicitly: independent of conf's task list
TABULAR_TASKS = tuple(TARGETS)


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so outputs stay readable after the run."""

    def _release(self) -> None:
        pass


def _train(task: str) -> tuple[pd.DataFrame, np.ndarray]:
    points, truth = make_blobs(
        n_samples=120, centers=3, n_features=3, cluster_std=0.4, random_state=1
    )
    frame = pd.DataFrame(points, columns=["x1", "x2", "x3"])
    frame["colour"] = pd.Categorical(np.array(["red", "green", "blue"])[truth])
    if task == "credit":
        frame["Status"] = pd.Categorical(np.array(["good", "bad", "fair"])[truth])
    else:
        frame["price"] = 1000.0 * truth + np.arange(len(frame))
    return frame, truth


def _features() -> FeatureParams:
    return FeatureParams.model_validate(
        {
            "transform": {
                "numeric": [{"columns": ["x1", "x2", "x3"]}],
                "categorical": [{"columns": ["colour"], "encoder": "target"}],
            }
        }
    )


def _tabular(task: str) -> TaskParams:
    return TaskParams.model_validate(
        {
            "dataset": f"{task}.tabular_raw",
            "target": TARGETS[task],
            "problem": PROBLEMS[task],
            "columns": {TARGETS[task]: {"dtype": "category"}},
        }
    )


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    config = SegmentationParams.model_validate(
        {
            "candidates": {
                "kmeans": {"estimator": "kmeans"},
                "agglomerative": {"estimator": "agglomerative"},
            },
            "k_range": {"min": 2, "max": 5},
            "silhouette_sample_size": 100,
            "tsne": {"sample_size": 50, "perplexity": 10, "max_iter": 250},
        }
    )
    datasets: dict[str, Any] = {"params:random_state": MemoryDataset(42)}
    truths = {}
    for task in TABULAR_TASKS:
        train, truths[task] = _train(task)
        datasets |= {
            f"{task}.feature_train": MemoryDataset(train),
            f"{task}.feature_preprocessor": MemoryDataset(
                build_preprocessor(_features(), PROBLEMS[task], 42), copy_mode="assign"
            ),
            f"params:segmentation.{task}": MemoryDataset(config),
            f"params:tasks.{task}": MemoryDataset(_tabular(task)),
            f"params:tasks.{task}.problem": MemoryDataset(PROBLEMS[task]),
        }
        datasets |= {f"{task}.{name}": KeptDataset() for name in OUTPUTS}
    catalog = DataCatalog(datasets)

    SequentialRunner().run(segmentation.create_pipeline(tasks=TABULAR_TASKS), catalog)

    outputs = {
        f"{task}.{name}": catalog.load(f"{task}.{name}")
        for task in TABULAR_TASKS
        for name in OUTPUTS
    }
    return {"outputs": outputs, "truths": truths}


def test_pipeline_runs_once_per_task_and_the_target_never_reaches_a_fit() -> None:
    pipeline = segmentation.create_pipeline(tasks=TABULAR_TASKS)

    assert pipeline.inputs() == {
        "params:random_state",
        *(
            f"params:{prefix}"
            for task in TABULAR_TASKS
            for prefix in (f"segmentation.{task}", f"tasks.{task}", f"tasks.{task}.problem")
        ),
        *(
            f"{task}.{name}"
            for task in TABULAR_TASKS
            for name in ("feature_train", "feature_preprocessor")
        ),
    }
    assert {
        f"{task}.{name}" for task in TABULAR_TASKS for name in OUTPUTS
    } <= pipeline.all_outputs()
    # the test split is never read
    assert not any("feature_test" in name for name in pipeline.datasets())
    readers = {
        node.name
        for node in pipeline.nodes
        if any(name.endswith(".feature_train") for name in node.inputs)
    }
    assert readers == {
        f"{task}.{name}"
        for task in TABULAR_TASKS
        for name in ("prepare_segmentation_features", "validate_externally", "profile_clusters")
    }
    clustering = next(node for node in pipeline.nodes if node.name == "credit.cluster_candidates")
    assert set(clustering.inputs) == {
        "credit.clustering_input",
        "params:segmentation.credit",
        "params:random_state",
    }
    assert all("segmentation" in node.tags for node in pipeline.nodes)


def test_both_tasks_recover_the_blobs(run: dict[str, Any]) -> None:
    for task in TABULAR_TASKS:
        outputs = run["outputs"]
        summary = outputs[f"{task}.segmentation_summary"]
        assignments = outputs[f"{task}.cluster_assignments"]

        assert summary["chosen"]["k"] == 3, task
        assert summary["rows"] == len(assignments) == 120
        assert adjusted_rand_score(run["truths"][task], assignments["cluster"]) == 1.0
        profiles = outputs[f"{task}.cluster_profiles"]
        assert profiles["size"].tolist() == [40, 40, 40]
        # the target-encoded column is dropped from the features but still profiled
        assert outputs[f"{task}.pca_loadings"].index.tolist() == ["x1", "x2", "x3"]
        assert sorted(profiles["colour"]) == ["blue", "green", "red"]
        assert TARGETS[task] not in profiles.columns
        assert len(outputs[f"{task}.tsne_embedding"]) == 50
        assert len(outputs[f"{task}.pca_embedding"]) == 120
        assert len(outputs[f"{task}.dendrogram"]) == 119


def test_external_validation_only_for_the_classification_task(run: dict[str, Any]) -> None:
    credit = run["outputs"]["credit.cluster_scores"].set_index("trial")
    ames = run["outputs"]["ames.cluster_scores"]

    assert credit.loc["kmeans k=3", "adjusted_rand"] == 1.0
    assert credit.loc["kmeans k=3", "normalized_mutual_info"] == 1.0
    assert "adjusted_rand" not in ames.columns
    assert run["outputs"]["credit.segmentation_summary"]["external_validation"] is True
    assert run["outputs"]["ames.segmentation_summary"]["external_validation"] is False
