"""Wire the modelling nodes per tabular task: search → leaderboard → refit best → test metrics
→ model metadata."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.modelling_tabular.nodes import (
    describe_model,
    evaluate_on_test,
    refit_best,
    search_candidates,
)
from roadmap_pipelines.project.numeric_env import BLAS_TAG
from roadmap_pipelines.project.tasks import for_each_task

MODELLING = "params:modelling_tabular"
TABULAR = "params:task"
PROBLEM = "params:problem"
SEED = "params:random_state"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``modelling_tabular`` pipeline, once per tabular task.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    # tagged: its fits go through BLAS, whose kernel (chosen per CPU) moves their last bits
    tasks = for_each_task(
        _modelling(),
        task_parameters=("modelling_tabular",),
        shared=(SEED,),
        tasks=kwargs.get("tasks"),
    )
    return Pipeline(tasks, tags=BLAS_TAG)


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
