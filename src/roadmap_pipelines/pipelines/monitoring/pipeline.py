"""Wire monitoring per tabular task: drift report and metrics → figure → retrain gate."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.monitoring.nodes import (
    compare_with_training,
    gate_on_drift,
    plot_drift,
)
from roadmap_pipelines.project.tasks import for_each_task

MONITORING = "params:monitoring"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``monitoring`` pipeline, once per tabular task.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    return for_each_task(
        Pipeline(
            [
                Node(
                    compare_with_training,
                    [
                        "train_uncleaned",
                        "inference_rows",
                        "test_predictions",
                        "inference_predictions",
                        "test_metrics",
                        "inference_rejects",
                        "params:task",
                        MONITORING,
                    ],
                    ["drift_report", "drift_metrics", "drift_table"],
                    name="compare_with_training",
                ),
                Node(plot_drift, ["drift_table", MONITORING], "drift_chart", name="plot_drift"),
                Node(gate_on_drift, ["drift_report", MONITORING], None, name="gate_on_drift"),
            ]
        ),
        task_parameters=(),
        shared=(MONITORING,),
        tasks=kwargs.get("tasks"),
    )
