"""Wire the feature nodes per tabular task: create row-wise features on each split, specify
the preprocessor from the training features, and report what it transforms and selects."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.ml.features.row_features import create_features
from roadmap_pipelines.pipelines.feature_engineering.nodes import (
    report_features,
    specify_preprocessor,
    specify_tree_preprocessor,
)
from roadmap_pipelines.project.tasks import for_each_task

FEATURES = "params:feature_engineering"
TABULAR = "params:task"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``feature_engineering`` pipeline, once per tabular task.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    return for_each_task(
        _features(),
        task_parameters=("feature_engineering",),
        shared=("params:random_state",),
        tasks=kwargs.get("tasks"),
    )


def _features() -> Pipeline:
    return Pipeline(
        [
            Node(
                create_features,
                ["tabular_train", FEATURES, TABULAR],
                "feature_train",
                name="create_train_features",
            ),
            Node(
                create_features,
                ["tabular_test", FEATURES, TABULAR],
                "feature_test",
                name="create_test_features",
            ),
            Node(
                specify_preprocessor,
                ["feature_train", FEATURES, TABULAR, "params:problem", "params:random_state"],
                "feature_preprocessor",
                name="specify_preprocessor",
            ),
            Node(
                specify_tree_preprocessor,
                ["feature_preprocessor", FEATURES],
                "feature_tree_preprocessor",
                name="specify_tree_preprocessor",
            ),
            Node(
                report_features,
                [
                    "feature_preprocessor",
                    "feature_train",
                    FEATURES,
                    TABULAR,
                    "params:problem",
                    "params:random_state",
                ],
                ["feature_report", "feature_correlation_matrix"],
                name="report_features",
            ),
        ]
    )
