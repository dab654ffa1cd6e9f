"""Schema of ``conf/base/parameters_tasks.yml``: the tabular tasks and what every pipeline
needs to know about each (its table, target, problem and column declarations)."""

from __future__ import annotations

import keyword
import re
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from roadmap_pipelines.params.base import StrictModel
from roadmap_pipelines.params.preprocessing import ColumnSpec

_FILE = "parameters_tasks.yml"
TASKS_FILE = f"conf/base/{_FILE}"
# a task is a Kedro namespace and a folder name: a Python identifier, lower case
TASK_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def task_name_problem(name: str) -> str | None:
    """Say why ``name`` cannot name a task, or return ``None`` when it can."""
    if not TASK_NAME.match(name) or keyword.iskeyword(name):
        return (
            f"task name {name!r} must be a lower-case Python identifier (letters, digits, "
            "underscores, starting with a letter), e.g. 'churn' or 'house_prices'"
        )
    return None


class TaskParams(StrictModel):
    """``tasks.<task>``: one table with one target."""

    model_config = ConfigDict(title=f"{_FILE}: tasks.<task>")

    dataset: str = Field(description="catalog name of the raw table, used in error messages")
    target: str
    problem: Literal["classification", "regression"]
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    unique_key: list[str] = Field(default_factory=list)
    allow_extra_columns: bool = True

    @model_validator(mode="after")
    def _target_and_key_are_declared(self) -> TaskParams:
        declared = sorted(self.columns)
        if self.target not in self.columns:
            raise ValueError(
                f"target {self.target!r} is not among the declared columns {declared}: "
                "declare it under columns or fix target"
            )
        unknown = [column for column in self.unique_key if column not in self.columns]
        if unknown:
            raise ValueError(f"unique_key {unknown} not among the declared columns {declared}")
        return self


class TasksParams(StrictModel):
    """Everything under ``tasks:`` in ``parameters_tasks.yml``."""

    model_config = ConfigDict(title=f"{_FILE}: tasks")

    tasks: dict[str, TaskParams]

    @model_validator(mode="after")
    def _names_are_identifiers(self) -> TasksParams:
        problems = [problem for name in self.tasks if (problem := task_name_problem(name))]
        if problems:
            raise ValueError("; ".join(problems))
        return self
