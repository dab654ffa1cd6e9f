"""Checks of a task's modelling parameters against its training rows, before the first fit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.labels import check_target_labels
from roadmap_pipelines.ml.tabular.estimators import Problem
from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.ml.tabular.prediction import Scoring
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

KEY = "parameters_modelling_tabular.yml: modelling_tabular.<task>"


def scoring_for(
    params: TabularModelling, problem: Problem, target: pd.Series, tabular: TaskParams
) -> Scoring:
    """The fold metrics and positive class, after checking they suit the problem and target.

    Raises:
        InputDataError: If a metric does not apply to the problem, the target has a single
            class, or the positive class or a label is not among the declared ones.
    """
    allowed = REGRESSION_METRICS if problem == "regression" else CLASSIFICATION_METRICS
    wrong = [name for name in params.metrics if name not in allowed]
    if wrong:
        raise InputDataError(
            f"{KEY}.metrics: {wrong} do not apply to {problem}; use {list(allowed)}"
        )
    if problem == "regression":
        return Scoring(problem, tuple(params.metrics))
    classes = sorted(target.dropna().unique().tolist(), key=str)
    if len(classes) < 2:
        raise InputDataError(
            f"the training target '{tabular.target}' of '{tabular.dataset}' has a single "
            f"class {classes}; a classifier needs at least two"
        )
    positive = positive_class(params, problem, classes)
    check_labels(target, params, tabular, "training rows")
    return Scoring(problem, tuple(params.metrics), positive)


def check_labels(
    target: pd.Series, params: TabularModelling, tabular: TaskParams, rows: str
) -> None:
    """Check ``target``'s labels against the declared classes and the positive class.

    Raises:
        InputDataError: If a label is not declared or the positive class is not a label.
    """
    # thin plumbing: the declared classes are the target column's `allowed` list
    column = tabular.columns.get(tabular.target)
    check_target_labels(
        target,
        column.allowed if column is not None else None,
        params.positive_class,
        f"{tabular.dataset} ({rows}), target '{tabular.target}'",
    )


def positive_class(params: TabularModelling, problem: Problem, classes: list[Any]) -> Any:
    """The declared positive class of a binary target, ``None`` otherwise.

    Raises:
        InputDataError: If a binary target has no ``positive_class`` or it is not a class.
    """
    if problem == "regression" or len(classes) != 2:
        return None
    if params.positive_class is None:
        raise InputDataError(
            f"{KEY}.positive_class: binary target with classes {classes}; say which one "
            "precision, recall and F1 score"
        )
    if params.positive_class not in classes:
        raise InputDataError(
            f"{KEY}.positive_class: {params.positive_class!r} is not a class of the target "
            f"({classes})"
        )
    return params.positive_class


def check_target_transforms(
    params: TabularModelling, problem: Problem, target: pd.Series, tabular: TaskParams
) -> None:
    """Check every candidate's ``target_transform`` suits the problem and the target's range.

    Raises:
        InputDataError: If a transform is set for classification, or log1p meets a target <= -1.
    """
    for name, candidate in params.candidates.items():
        if candidate.target_transform is None:
            continue
        if problem != "regression":
            raise InputDataError(
                f"{KEY}.candidates.{name}.target_transform: applies to regression only; "
                "remove it for this classification task"
            )
        if target.min() <= -1:
            raise InputDataError(
                f"{KEY}.candidates.{name}.target_transform: log1p needs a target above -1, "
                f"but '{tabular.target}' of '{tabular.dataset}' reaches {target.min()}"
            )


def check_cv(params: TabularModelling, features: pd.DataFrame, problem: Problem) -> None:
    """Check the CV strategy suits the problem and its group/time columns exist.

    Raises:
        InputDataError: If stratified folds are asked for regression or a column is missing.
    """
    assert params.cv is not None  # a run without cv returns before candidates are compared
    if params.cv.strategy == "stratified_kfold" and problem == "regression":
        raise InputDataError(
            f"{KEY}.cv.strategy: stratified_kfold keeps class shares per fold and needs a "
            "classification target; use kfold for regression"
        )
    for key in ("group_column", "time_column"):
        column = getattr(params.cv, key)
        if column is not None and column not in features.columns:
            raise InputDataError(
                f"{KEY}.cv.{key}: column '{column}' is not among the training features"
            )
