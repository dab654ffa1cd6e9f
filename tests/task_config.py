"""The tasks this checkout's configuration declares, for tests that must survive a fork.

Contract tests are parametrised over ``CONFIGURED_TASKS`` (``pytest -m contract`` selects
them); tests that check the shipped example tables' exact values carry
``requires_tasks("credit")`` and skip, saying why, once a fork has replaced those tasks.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@cache
def project_parameters(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Every parameter of ``root``'s configuration (``KEDRO_ENV`` or ``local`` over base)."""
    from kedro.config import OmegaConfigLoader

    loader = OmegaConfigLoader(
        str(root / "conf"),
        base_env="base",
        default_run_env="local",
        env=os.environ.get("KEDRO_ENV"),
    )
    return dict(loader["parameters"])


def task_declarations(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """``tasks.<task>`` of ``root``, validated."""
    from roadmap_pipelines.params.tasks import TasksParams

    return TasksParams.model_validate({"tasks": project_parameters(root)["tasks"]}).tasks


CONFIGURED_TASKS: tuple[str, ...] = tuple(task_declarations())


def requires_tasks(*names: str) -> pytest.MarkDecorator:
    """Skip an example-data test unless every task in ``names`` is configured."""
    missing = [name for name in names if name not in CONFIGURED_TASKS]
    return pytest.mark.skipif(
        bool(missing),
        reason=(
            f"example-data test of the shipped task(s) {missing}, which "
            f"conf/base/parameters_tasks.yml no longer declares (configured: "
            f"{list(CONFIGURED_TASKS)}); the contract tests cover the configured tasks"
        ),
    )


def task_parameter_inputs(task: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The task-level parameter inputs of a namespaced pipeline: declaration and problem."""
    declaration = task_declarations(root)[task]
    return {
        f"params:tasks.{task}": declaration,
        f"params:tasks.{task}.problem": declaration.problem,
    }
