"""Wire the modelling nodes per tabular task: search → leaderboard → refit best → test metrics
→ model metadata."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.modelling_tabular.nodes import (
    describe_model,
    evaluate_on_test,
    refit_best,
    search_candidates,
)
from roadmap_pipelines.tabular_tasks import for_each_task

MODELLING = "params:modelling_tabular"
TABULAR = "params:preprocessing.tabular"
PROBLEM = "params:problems"
SEED = "params:random_state"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``modelling_tabular`` pipeline, once per tabular task."""
    return for_each_task(
        _modelling(),
        task_parameters=("modelling_tabular", "preprocessing.tabular", "problems"),
        shared=(SEED,),
    )


def _modelling() -> Pipeline:
    return Pipeline(
        [
            Node(
                search_candidates,
                [
                    "feature_train",
                    "feature_preprocessor",
                    "feature_tree_preprocessor",
                    MODELLING,
                    TABULAR,
                    PROBLEM,
                    SEED,
                ],
                ["search_trials", "leaderboard", "fit_times"],
                name="search_candidates",
            ),
            Node(
                refit_best,
                [
                    "feature_train",
                    "feature_preprocessor",
                    "feature_tree_preprocessor",
                    "leaderboard",
                    MODELLING,
                    TABULAR,
                    PROBLEM,
                    SEED,
                ],
                "model",
                name="refit_best",
            ),
            Node(
                evaluate_on_test,
                ["model", "feature_test", MODELLING, TABULAR, PROBLEM],
                ["test_metrics", "test_predictions"],
                name="evaluate_on_test",
            ),
            Node(
                describe_model,
                ["model", "feature_train", "leaderboard", "test_metrics", TABULAR, PROBLEM],
                "model_metadata",
                name="describe_model",
            ),
        ]
    )
