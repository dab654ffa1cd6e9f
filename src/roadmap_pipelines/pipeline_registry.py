"""Project pipelines, built for the tasks the configuration of the running environment declares
(``conf/<env>/parameters_tasks.yml``; see ``roadmap_pipelines.project.tasks``)."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from roadmap_pipelines.project.tasks import (
    building_tasks,
    configured_parameters,
    configured_tasks,
    tasks_in_use,
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under ``pipelines/`` and a default that runs them all.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.

    Raises:
        TaskConfigError: The task list and the per-task parameter blocks disagree (checked
            here, before any node runs).
    """
    # tasks already given (tasks_in_use) are built as they are; else read and checked, and the
    # parameters read for that serve every pipeline that reads them while it is built
    tasks, parameters = building_tasks(), None
    if not tasks:
        parameters = configured_parameters()
        tasks = configured_tasks(parameters)
    with tasks_in_use(tasks, parameters):
        pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
