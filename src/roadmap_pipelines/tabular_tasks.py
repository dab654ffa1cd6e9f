"""The tabular tasks every tabular pipeline runs for, each as its own Kedro namespace.

A task is one table with one target: its datasets are ``<task>.<name>`` in the catalog and its
settings sit under ``<pipeline key>.<task>`` in that pipeline's parameters file. To fork the
template onto your own table, rename or add a task here, then give it a raw catalog entry and
a block in each ``parameters_<pipeline>.yml``.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

TABULAR_TASKS = ("credit", "ames")


def for_each_task(
    template: Pipeline, task_parameters: tuple[str, ...], shared: tuple[str, ...] = ()
) -> Pipeline:
    """Instantiate ``template`` once per task under the task's namespace.

    Args:
        template: Nodes written for one task, reading un-namespaced dataset names.
        task_parameters: Parameter keys holding one block per task (``preprocessing.tabular``
            reads ``params:preprocessing.tabular.<task>``).
        shared: Datasets and parameters every task reads as they are (``random_state``).

    Returns:
        The sum of the namespaced copies.
    """
    copies = []
    for task in TABULAR_TASKS:
        renamed = {f"params:{key}": f"params:{key}.{task}" for key in task_parameters}
        kept_parameters = {name for name in shared if name.startswith("params:")}
        copies.append(
            Pipeline(
                template,
                namespace=task,
                parameters=renamed | {name: name for name in kept_parameters},
                inputs={name for name in shared if not name.startswith("params:")} or None,
            )
        )
    return sum(copies, Pipeline([]))
