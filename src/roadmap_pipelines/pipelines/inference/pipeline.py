"""Wire batch inference per tabular task: raw batch + training artifacts → predictions."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.inference.nodes import score_batch
from roadmap_pipelines.project.tasks import for_each_task


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``inference`` pipeline, once per tabular task.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    return for_each_task(
        Pipeline(
            [
                Node(
                    score_batch,
                    [
                        "inference_input",
                        "model",
                        "cleaning_rules",
                        "model_metadata",
                        "params:task",
                        "params:preprocessing.tabular",
                        "params:feature_engineering",
                        "params:inference",
                    ],
                    ["inference_predictions", "inference_rows", "inference_rejects"],
                    name="score_batch",
                )
            ]
        ),
        task_parameters=("preprocessing.tabular", "feature_engineering", "inference"),
        tasks=kwargs.get("tasks"),
    )
