"""The tabular tasks the configuration declares, and the per-task Kedro namespaces.

A task is one table with one target, declared under ``tasks.<task>`` in
``conf/base/parameters_tasks.yml``. Every tabular pipeline is written once for one task and
instantiated per task by ``for_each_task``: its datasets become ``<task>.<name>``, its
parameters ``params:<key>.<task>``, and the task's declaration ``params:tasks.<task>``.

The list of tasks comes from the configuration of the environment being run. Kedro builds the
pipelines lazily (``kedro.framework.project.pipelines``) and without a config loader, so the
``after_context_created`` hook (``TaskConfigHooks``) hands the session's loader over here
(``use_config_loader``) and makes Kedro rebuild its registry; without a session (``kedro
registry list``, a test calling ``create_pipeline()``) the project found from the working
directory is read with ``KEDRO_ENV`` (or ``local``) as the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kedro.pipeline import Pipeline

from roadmap_pipelines.params.tasks import TASKS_FILE, task_name_problem

# templates read the task's declaration and problem under these names
TASK_PARAMETER = "params:task"
PROBLEM_PARAMETER = "params:problem"
# parameter files with one block per task: top-level key path -> file under conf/base
PER_TASK_BLOCKS = {
    ("preprocessing", "tabular"): "parameters_preprocessing.yml",
    ("feature_engineering",): "parameters_feature_engineering.yml",
    ("modelling_tabular",): "parameters_modelling_tabular.yml",
    ("segmentation",): "parameters_segmentation.yml",
}

_config_loader: Any = None
# set while register_pipelines builds every pipeline, so the configuration is read once
_tasks_in_use: tuple[str, ...] | None = None
_parameters_in_use: dict[str, Any] | None = None


class TaskConfigError(ValueError):
    """The task list and the per-task parameter blocks do not agree."""


def use_config_loader(config_loader: Any) -> None:
    """Read the tasks from ``config_loader`` from now on (the hook passes the session's)."""
    global _config_loader  # noqa: PLW0603 - one registry per process, as Kedro's own
    _config_loader = config_loader


@contextmanager
def tasks_in_use(
    tasks: tuple[str, ...], parameters: dict[str, Any] | None = None
) -> Iterator[None]:
    """Make ``for_each_task`` (and ``register_pipelines``) use ``tasks`` inside the block,
    without reading or checking the configuration: ``register_pipelines`` itself, and tools
    that only need the dataset names of a project whose parameters may be broken.
    ``parameters``, if given, are what ``configured_parameters`` returns inside the block (the
    configuration read once for every pipeline; reading it costs a tenth of a second)."""
    global _tasks_in_use, _parameters_in_use  # noqa: PLW0603
    previous = _tasks_in_use, _parameters_in_use
    _tasks_in_use, _parameters_in_use = tasks, parameters
    try:
        yield
    finally:
        _tasks_in_use, _parameters_in_use = previous


def _fallback_loader() -> Any:
    """The config loader of the project around the working directory, without a session."""
    from kedro.framework.project import settings
    from kedro.utils import find_kedro_project

    root = find_kedro_project(Path.cwd())
    if root is None:
        raise TaskConfigError(
            "cannot find the Kedro project to read its tasks from: run from inside the project "
            "or pass tasks=... to create_pipeline"
        )
    return settings.CONFIG_LOADER_CLASS(
        conf_source=str(root / settings.CONF_SOURCE),
        env=os.environ.get("KEDRO_ENV"),
        **settings.CONFIG_LOADER_ARGS,
    )


def configured_parameters() -> dict[str, Any]:
    """The parameters of the environment being run (see the module docstring)."""
    if _parameters_in_use is not None:
        return _parameters_in_use
    loader = _config_loader
    # a session's project may be gone since (a test's temporary copy): read the current one
    if loader is None or not Path(str(getattr(loader, "conf_source", ""))).is_dir():
        loader = _fallback_loader()
    return dict(loader["parameters"])


def configured_tasks(parameters: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The task names, in declaration order, after checking the declarations and blocks.

    Args:
        parameters: All parameters; default: those of the environment being run.

    Returns:
        The names under ``tasks``.

    Raises:
        TaskConfigError: ``tasks`` is missing, a name is not an identifier, or a per-task
            parameter block names a task the list lacks (or lacks one it has).
    """
    parameters = configured_parameters() if parameters is None else parameters
    check_task_blocks(parameters)
    check_declarations(parameters)
    return tuple(parameters["tasks"])


def check_declarations(parameters: Mapping[str, Any]) -> None:
    """Validate every ``tasks.<task>`` and its preprocessing block together.

    Kedro validates each node's parameters on their own; a cleaning rule naming a column the
    task does not declare only shows when the two are joined, so that is checked here, when
    the pipelines are registered, before any node runs.

    Raises:
        pydantic.ValidationError: Titled with the file and key of the bad declaration.
    """
    from roadmap_pipelines.params.preprocessing import TabularParams, TabularPreprocessing
    from roadmap_pipelines.params.tasks import TasksParams

    declared = TasksParams.model_validate({"tasks": parameters["tasks"]}).tasks
    blocks = (parameters.get("preprocessing") or {}).get("tabular") or {}
    for name, task in declared.items():
        if name in blocks:
            preprocessing = TabularPreprocessing.model_validate(blocks[name])
            TabularParams.combine(task, preprocessing)


def check_task_blocks(parameters: Mapping[str, Any]) -> None:
    """Raise ``TaskConfigError`` naming the file and key where tasks and blocks disagree."""
    tasks = parameters.get("tasks")
    if not isinstance(tasks, Mapping):
        raise TaskConfigError(
            f"{TASKS_FILE}: no `tasks:` mapping of task name -> declaration; add one "
            "(`kedro task add <name> --data <file> --target <column>` writes it)"
        )
    bad = [problem for name in tasks if (problem := task_name_problem(str(name)))]
    if bad:
        raise TaskConfigError(f"{TASKS_FILE}: tasks: " + "; ".join(bad))
    problems = []
    for path, file in PER_TASK_BLOCKS.items():
        block: Any = parameters
        for key in path:
            block = block.get(key) if isinstance(block, Mapping) else None
        if block is None:
            continue  # the pipeline is not configured in this project
        key = ".".join(path)
        extra = sorted(set(block) - set(tasks))
        missing = [name for name in tasks if name not in block]
        if extra:
            problems.append(
                f"conf/base/{file}: {key} has block(s) {extra} for task(s) not in {TASKS_FILE} "
                f"(tasks: {list(tasks)}); remove them or declare the task "
                "(`kedro task remove <name>` removes every block of a task)"
            )
        if missing:
            problems.append(
                f"conf/base/{file}: {key} lacks a block for task(s) {missing} declared in "
                f"{TASKS_FILE}; add one (`kedro task add` writes every block)"
            )
    if problems:
        raise TaskConfigError("\n".join(problems))


def building_tasks() -> tuple[str, ...] | None:
    """The tasks set by ``tasks_in_use``, if any."""
    return _tasks_in_use


def current_tasks() -> tuple[str, ...]:
    """The tasks ``register_pipelines`` is building for, or else those configured."""
    return _tasks_in_use if _tasks_in_use is not None else configured_tasks()


def for_each_task(
    template: Pipeline,
    task_parameters: tuple[str, ...],
    shared: tuple[str, ...] = (),
    tasks: Iterable[str] | None = None,
) -> Pipeline:
    """Instantiate ``template`` once per task under the task's namespace.

    Args:
        template: Nodes written for one task, reading un-namespaced dataset names;
            ``params:task`` is the task's declaration, ``params:problem`` its problem.
        task_parameters: Parameter keys holding one block per task (``preprocessing.tabular``
            reads ``params:preprocessing.tabular.<task>``).
        shared: Datasets and parameters every task reads as they are (``random_state``).
        tasks: Task names; default: those the configuration declares.

    Returns:
        The sum of the namespaced copies.
    """
    names = current_tasks() if tasks is None else tuple(tasks)
    used = template.inputs() | {
        name for node in template.nodes for name in node.inputs if name.startswith("params:")
    }
    kept_parameters = {name for name in shared if name.startswith("params:")}
    copies = []
    for task in names:
        renamed = {f"params:{key}": f"params:{key}.{task}" for key in task_parameters}
        if TASK_PARAMETER in used:
            renamed[TASK_PARAMETER] = f"params:tasks.{task}"
        if PROBLEM_PARAMETER in used:
            renamed[PROBLEM_PARAMETER] = f"params:tasks.{task}.problem"
        copies.append(
            Pipeline(
                template,
                namespace=task,
                parameters=renamed | {name: name for name in kept_parameters},
                inputs={name for name in shared if not name.startswith("params:")} or None,
            )
        )
    return sum(copies, Pipeline([]))
