"""Wire the Dask training nodes for the tasks that have a block in
``parameters_modelling_tabular_dask.yml``: split → train across the cluster → test metrics."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.params.modelling_tabular_dask import FILE
from roadmap_pipelines.pipelines.modelling_tabular_dask.nodes import (
    evaluate_dask_model,
    split_dask_table,
    train_dask_lightgbm,
)
from roadmap_pipelines.project.tasks import (
    TaskConfigError,
    configured_parameters,
    current_tasks,
    for_each_task,
)

MODELLING = "params:modelling_tabular_dask"
SEED = "params:random_state"


def create_pipeline(**kwargs) -> Pipeline:
    """Create ``modelling_tabular_dask`` for each task with a block in its parameters file.

    A task without a block is trained in memory only (``modelling_tabular``); the shipped
    tasks have none, so the pipeline is empty until a task asks for it.

    Args:
        **kwargs: ``tasks``: task names (default: the configured tasks that have a block).

    Raises:
        TaskConfigError: A block names a task that ``parameters_tasks.yml`` does not declare.
    """
    tasks = kwargs.get("tasks")
    if tasks is None:
        blocks = configured_parameters().get("modelling_tabular_dask") or {}
        declared = current_tasks()
        stray = sorted(set(blocks) - set(declared))
        if stray:
            raise TaskConfigError(
                f"{FILE}: modelling_tabular_dask has block(s) {stray} for task(s) not in "
                f"conf/base/parameters_tasks.yml (tasks: {list(declared)})"
            )
        tasks = [name for name in declared if name in blocks]
    return for_each_task(
        _modelling(), task_parameters=("modelling_tabular_dask",), shared=(SEED,), tasks=tasks
    )


def _modelling() -> Pipeline:
    return Pipeline(
        [
            Node(
                split_dask_table,
                ["tabular_dask", MODELLING, "params:task", SEED],
                ["dask_train", "dask_test", "dask_feature_spec"],
                name="split_dask_table",
            ),
            Node(
                train_dask_lightgbm,
                ["dask_train", "dask_feature_spec", MODELLING, SEED],
                "dask_model",
                name="train_dask_lightgbm",
            ),
            Node(
                evaluate_dask_model,
                ["dask_model", "dask_test", MODELLING],
                "dask_test_metrics",
                name="evaluate_dask_model",
            ),
        ]
    )
