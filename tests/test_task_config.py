"""The task list in configuration: names, declarations and per-task blocks must agree, and
the pipelines are built for the tasks of the environment being run."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from project_runs import copy_project, run_session
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines import feature_engineering
from roadmap_pipelines.project.tasks import (
    TaskConfigError,
    configured_tasks,
    for_each_task,
)

TASK = {
    "dataset": "toy.tabular_raw",
    "target": "y",
    "problem": "classification",
    "columns": {"y": {"dtype": "category"}, "x": {"dtype": "float"}},
}
PREPROCESSING = {"split": {"strategy": "random", "test_size": 0.2}}


def _parameters(**tasks: dict[str, Any]) -> dict[str, Any]:
    tasks = tasks or {"toy": TASK}
    return {
        "tasks": copy.deepcopy(tasks),
        "preprocessing": {"tabular": {name: dict(PREPROCESSING) for name in tasks}},
        "modelling_tabular": {name: {} for name in tasks},
    }


def test_the_task_names_come_from_the_configuration_in_order() -> None:
    parameters = _parameters(zeta=TASK, alpha=TASK)

    assert configured_tasks(parameters) == ("zeta", "alpha")


def test_a_block_for_an_undeclared_task_names_the_file_the_key_and_the_fix() -> None:
    parameters = _parameters()
    parameters["modelling_tabular"]["penguins"] = {}

    with pytest.raises(TaskConfigError) as raised:
        configured_tasks(parameters)

    message = str(raised.value)
    assert "conf/base/parameters_modelling_tabular.yml: modelling_tabular" in message
    assert "['penguins']" in message and "parameters_tasks.yml" in message
    assert "kedro task remove" in message


def test_a_declared_task_without_its_block_names_the_file_and_the_fix() -> None:
    parameters = _parameters()
    del parameters["preprocessing"]["tabular"]["toy"]

    with pytest.raises(
        TaskConfigError,
        match=r"parameters_preprocessing.yml: preprocessing.tabular lacks a block for "
        r"task\(s\) \['toy'\]",
    ):
        configured_tasks(parameters)


@pytest.mark.parametrize("name", ["Credit", "2nd", "with-dash", "class", "a.b"])
def test_a_task_name_must_be_a_lower_case_identifier(name: str) -> None:
    with pytest.raises(TaskConfigError, match=f"task name '{name}' must be a lower-case"):
        configured_tasks(_parameters(**{name: TASK}))


def test_no_tasks_mapping_says_how_to_add_one() -> None:
    with pytest.raises(TaskConfigError, match="no `tasks:` mapping.*kedro task add"):
        configured_tasks({"preprocessing": {}})


def test_a_target_not_among_the_columns_is_refused() -> None:
    with pytest.raises(ValidationError, match="target 'label' is not among the declared columns"):
        TaskParams.model_validate({**TASK, "target": "label"})


def test_a_cleaning_rule_on_an_undeclared_column_is_refused_at_registration() -> None:
    parameters = _parameters()
    parameters["preprocessing"]["tabular"]["toy"]["cleaning"] = {
        "impute": {"z": {"strategy": "median"}}
    }

    with pytest.raises(ValidationError, match="cleaning.impute: 'z'"):
        configured_tasks(parameters)


def test_create_pipeline_takes_explicit_tasks() -> None:
    pipeline = feature_engineering.create_pipeline(tasks=("one", "two"))

    assert {node.namespace for node in pipeline.nodes} == {"one", "two"}
    assert {"params:tasks.one", "params:tasks.two.problem"} <= pipeline.inputs()


def test_for_each_task_maps_the_declaration_and_problem_of_each_task() -> None:
    from kedro.pipeline import Node, Pipeline

    template = Pipeline(
        [Node(lambda t, p, s: t, ["params:task", "params:problem", "params:s"], "o")]
    )
    pipeline = for_each_task(template, task_parameters=("s",), tasks=("a",))

    assert pipeline.inputs() == {"params:tasks.a", "params:tasks.a.problem", "params:s.a"}


@pytest.mark.slow
def test_an_environment_can_declare_other_tasks(tmp_path: Path) -> None:
    """``--env`` picks the task list: conf/<env> overriding tasks builds other namespaces."""
    from kedro.framework.project import pipelines

    project = copy_project(tmp_path / "project")
    base = yaml.safe_load((project / "conf/base/parameters_tasks.yml").read_text())["tasks"]
    first = next(iter(base))
    only = project / "conf" / "only_first"
    only.mkdir()
    # an environment replaces top-level keys: keep one task everywhere
    for path in (project / "conf/base").glob("parameters_*.yml"):
        content = yaml.safe_load(path.read_text())
        for key, value in content.items():
            if key == "tasks" or (isinstance(value, dict) and set(base) <= set(value)):
                content[key] = {first: value[first]}
            elif key == "preprocessing":
                content[key] = {**value, "tabular": {first: value["tabular"][first]}}
            else:
                continue
        (only / path.name).write_text(yaml.safe_dump(content, sort_keys=False))

    run_session(project, pipelines=["preprocessing"], env="only_first")

    namespaces = {node.namespace for node in pipelines["preprocessing"].nodes} - {None}
    assert namespaces == {first}
