"""The target column of a tabular task, separated from its features."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd


def split_target(
    table: pd.DataFrame, task: TaskParams, problem: Literal["classification", "regression"]
) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target from the features, with labels as plain objects for classifiers.

    Args:
        table: A split of the task's table, target included.
        task: The task's declaration (target column and dataset name, for messages).
        problem: ``classification`` or ``regression``.

    Returns:
        The features and the target; a classifier's labels keep their type (integers stay
        integers, so the model's classes and predictions are integers too).

    Raises:
        InputDataError: If the target column is missing, or a regression target is not numeric.
    """
    import pandas as pd

    if task.target not in table.columns:
        raise InputDataError(
            f"target column '{task.target}' is missing from the features of '{task.dataset}'"
        )
    target = table[task.target]
    if problem == "classification":
        target = _plain_labels(target)
    elif problem == "regression" and not pd.api.types.is_numeric_dtype(target):
        raise InputDataError(
            f"regression target '{task.target}' of '{task.dataset}' is {target.dtype}; "
            "set tasks.<task>.problem: classification in parameters_tasks.yml, or make it numeric"
        )
    return table.drop(columns=[task.target]), target


def _plain_labels(target: pd.Series) -> pd.Series:
    """Class labels in a NumPy dtype: categories as objects, and a nullable integer or boolean
    column (pandera's ``int``/``bool``) without missing values as ``int64``/``bool``, because
    scikit-learn turns a nullable integer target into floats (classes 0.0, 1.0, 2.0)."""
    import pandas as pd

    if isinstance(target.dtype, pd.CategoricalDtype):
        return target.astype(object)
    numpy_dtype = getattr(target.dtype, "numpy_dtype", None)
    if (
        isinstance(target.dtype, pd.api.extensions.ExtensionDtype)
        and numpy_dtype is not None
        and (pd.api.types.is_integer_dtype(numpy_dtype) or pd.api.types.is_bool_dtype(numpy_dtype))
        and not target.isna().any()
    ):
        return target.astype(numpy_dtype)
    return target
