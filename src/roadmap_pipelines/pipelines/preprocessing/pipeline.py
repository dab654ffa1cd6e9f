"""Wire the preprocessing nodes: per tabular task validate → clean → split → fit/apply rules,
and time series validate → regularise; each part writes its own data-quality report."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.preprocessing.nodes import (
    build_quality_report,
    build_timeseries_quality_report,
    clean_rows,
    clean_test,
    clean_train,
    declare_tabular_task,
    fit_cleaning_rules,
    split_train_test,
    validate_tabular,
)
from roadmap_pipelines.pipelines.preprocessing.timeseries_nodes import (
    regularise_timeseries,
    validate_timeseries,
)
from roadmap_pipelines.project.tasks import for_each_task

# the task's declaration joined with its preprocessing block, by the first node
TABULAR = "tabular_task"
TIMESERIES = "params:preprocessing.timeseries"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``preprocessing`` pipeline: the tabular part once per task, then series.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    return (
        for_each_task(
            _tabular(),
            task_parameters=("preprocessing.tabular",),
            shared=("params:random_state",),
            tasks=kwargs.get("tasks"),
        )
        + _timeseries()
    )


def _tabular() -> Pipeline:
    return Pipeline(
        [
            Node(
                declare_tabular_task,
                inputs=["params:task", "params:preprocessing.tabular"],
                outputs=TABULAR,
                name="declare_tabular_task",
            ),
            Node(
                validate_tabular,
                inputs=["tabular_raw", TABULAR],
                outputs=["tabular_validated", "quality_steps_validation"],
                name="validate_tabular",
            ),
            Node(
                clean_rows,
                inputs=["tabular_validated", TABULAR],
                outputs=["tabular_rows_clean", "quality_steps_rows"],
                name="clean_rows",
            ),
            Node(
                split_train_test,
                inputs=["tabular_rows_clean", TABULAR, "params:random_state"],
                outputs=["train_uncleaned", "test_uncleaned", "quality_steps_split"],
                name="split_train_test",
            ),
            Node(
                fit_cleaning_rules,
                inputs=["train_uncleaned", TABULAR],
                outputs="cleaning_rules",
                name="fit_cleaning_rules",
            ),
            Node(
                clean_train,
                inputs=["train_uncleaned", "cleaning_rules", TABULAR],
                outputs=["tabular_train", "quality_steps_train"],
                name="clean_train",
            ),
            Node(
                clean_test,
                inputs=["test_uncleaned", "cleaning_rules", TABULAR],
                outputs=["tabular_test", "quality_steps_test"],
                name="clean_test",
            ),
            Node(
                build_quality_report,
                inputs=[
                    TABULAR,
                    "quality_steps_validation",
                    "quality_steps_rows",
                    "quality_steps_split",
                    "quality_steps_train",
                    "quality_steps_test",
                ],
                outputs=["data_quality_report", "data_quality_table"],
                name="build_quality_report",
            ),
        ]
    )


def _timeseries() -> Pipeline:
    return Pipeline(
        [
            Node(
                validate_timeseries,
                inputs=["timeseries_raw", TIMESERIES],
                outputs=["timeseries_validated", "quality_steps_timeseries_input"],
                name="validate_timeseries",
            ),
            Node(
                regularise_timeseries,
                inputs=["timeseries_validated", TIMESERIES],
                outputs=["timeseries_clean", "timeseries_summary", "quality_steps_timeseries"],
                name="regularise_timeseries",
            ),
            Node(
                build_timeseries_quality_report,
                inputs=[
                    "params:preprocessing",
                    "quality_steps_timeseries_input",
                    "quality_steps_timeseries",
                ],
                outputs=["timeseries_quality_report", "timeseries_quality_table"],
                name="build_timeseries_quality_report",
            ),
        ]
    )
