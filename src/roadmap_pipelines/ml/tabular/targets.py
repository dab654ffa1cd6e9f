"""The target column of a tabular task, separated from its features."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.tasks import TaskParams


def split_target(
    table: pd.DataFrame, task: TaskParams, problem: Literal["classification", "regression"]
) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target from the features, with labels as plain objects for classifiers.

    Args:
        table: A split of the task's table, target included.
        task: The task's declaration (target column and dataset name, for messages).
        problem: ``classification`` or ``regression``.

    Returns:
        The features and the target.

    Raises:
        InputDataError: If the target column is missing, or a regression target is not numeric.
    """
    if task.target not in table.columns:
        raise InputDataError(
            f"target column '{task.target}' is missing from the features of '{task.dataset}'"
        )
    target = table[task.target]
    if problem == "classification" and isinstance(target.dtype, pd.CategoricalDtype):
        target = target.astype(object)
    elif problem == "regression" and not pd.api.types.is_numeric_dtype(target):
        raise InputDataError(
            f"regression target '{task.target}' of '{task.dataset}' is {target.dtype}; "
            "set tasks.<task>.problem: classification in parameters_tasks.yml, or make it numeric"
        )
    return table.drop(columns=[task.target]), target
