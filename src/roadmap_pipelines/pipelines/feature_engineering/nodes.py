"""Nodes that create row-wise features and specify, check and report the feature preprocessor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.features.formulas import FormulaError, evaluate, referenced_columns
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.params.problems import ProblemParam, problem_kind

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any

_KEY = "parameters_feature_engineering.yml: feature_engineering.<task>"
_PARTS = {
    "year": lambda dates: dates.dt.year,
    "quarter": lambda dates: dates.dt.quarter,
    "month": lambda dates: dates.dt.month,
    "day": lambda dates: dates.dt.day,
    "dayofweek": lambda dates: dates.dt.day_of_week,
    "dayofyear": lambda dates: dates.dt.day_of_year,
    "hour": lambda dates: dates.dt.hour,
    "is_weekend": lambda dates: (dates.dt.day_of_week >= 5).astype("Int64").mask(dates.isna()),
}


def create_features(
    table: pd.DataFrame, params: FeatureParams, tabular: TabularParams
) -> pd.DataFrame:
    """Add the declared date parts, formulas and interactions to every row.

    These features read one row at a time, so computing them on train and test separately
    gives the same values as computing them before the split: nothing leaks.

    Args:
        table: A split of the cleaned table.
        params: The task's ``feature_engineering.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target and dataset name).

    Returns:
        ``table`` with the new columns appended.

    Raises:
        InputDataError: If a feature reads the target, a missing or wrongly typed column, or
            would overwrite an existing column.
    """
    creation = params.creation
    features = table.copy()
    new: dict[str, pd.Series] = {}
    for column, parts in creation.date_parts.items():
        dates = _column(features, column, tabular, f"creation.date_parts.{column}")
        if not pd.api.types.is_datetime64_any_dtype(dates):
            raise InputDataError(
                f"{_KEY}.creation.date_parts.{column}: column '{column}' of "
                f"'{tabular.dataset}' is {dates.dtype}, not datetime"
            )
        for part in parts:
            new[f"{column}_{part}"] = _PARTS[part](dates).astype("Int64")
    for name, formula in creation.formulas.items():
        key = f"creation.formulas.{name}"
        try:
            for column in referenced_columns(formula):
                _column(features, column, tabular, key)
            new[name] = evaluate(formula, features)
        except FormulaError as error:
            raise InputDataError(f"{_KEY}.{key}: '{formula}' {error}") from None
    for group in creation.interactions:
        key = f"creation.interactions {group}"
        for column in group:
            _column(features, column, tabular, key)
        try:
            product = evaluate(" * ".join(f"`{column}`" for column in group), features)
        except FormulaError as error:
            raise InputDataError(f"{_KEY}.{key}: {error}") from None
        new["_x_".join(group)] = product
    clashes = sorted(set(new) & set(features.columns))
    if clashes:
        raise InputDataError(
            f"{_KEY}.creation: new feature(s) {clashes} would overwrite existing columns of "
            f"'{tabular.dataset}'; rename them"
        )
    return pd.concat([features, pd.DataFrame(new, index=features.index)], axis=1)


def specify_preprocessor(
    train: pd.DataFrame,
    params: FeatureParams,
    tabular: TabularParams,
    problem: ProblemParam,
    random_state: int,
) -> Pipeline:
    """Check the transform groups against the training features and build the preprocessor.

    Args:
        train: The training features (``create_features`` output).
        params: The task's ``feature_engineering.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``problems.<task>`` (validated before the run starts).
        random_state: The project seed.

    Returns:
        The unfitted preprocessor; modelling fits it inside every CV fold.

    Raises:
        InputDataError: If a group names the target, a missing column, a non-numeric column
            in a numeric group, or an ordinal order that misses a training label.
    """
    from roadmap_pipelines.ml.features.preprocessor import build_preprocessor

    for index, group in enumerate(params.transform.numeric):
        for column in group.columns:
            values = _column(train, column, tabular, f"transform.numeric[{index}]")
            if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
                raise InputDataError(
                    f"{_KEY}.transform.numeric[{index}]: column '{column}' of "
                    f"'{tabular.dataset}' is {values.dtype}; move it to a categorical group"
                )
    for index, group in enumerate(params.transform.categorical):
        key = f"transform.categorical[{index}]"
        for column in group.columns:
            labels = set(_column(train, column, tabular, key).dropna().astype(str))
            order = (group.categories or {}).get(column)
            unordered = sorted(labels - set(order)) if order is not None else []
            if unordered:
                raise InputDataError(
                    f"{_KEY}.{key}.categories.{column}: training labels {unordered} of "
                    f"'{tabular.dataset}' are not in the declared order {order}; they would "
                    "all be encoded as unknown (-1)"
                )
    return build_preprocessor(params, problem_kind(problem), random_state)


def specify_tree_preprocessor(preprocessor: Pipeline, params: FeatureParams) -> Pipeline:
    """The preprocessor for estimators that handle missing values and categories themselves.

    Args:
        preprocessor: The checked, unfitted preprocessor (``specify_preprocessor`` output).
        params: The task's ``feature_engineering.<task>`` parameters.

    Returns:
        With ``native_for_trees`` (the default), the transform's columns as they are, with
        categorical columns as pandas categories whose levels are learnt in each fit;
        otherwise ``preprocessor`` itself.
    """
    from roadmap_pipelines.ml.features.native import build_native_preprocessor

    if not params.native_for_trees:
        return preprocessor
    return build_native_preprocessor(params.transform)


def report_features(
    preprocessor: Pipeline, train: pd.DataFrame, params: FeatureParams, tabular: TabularParams
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit a copy of the preprocessor on the training rows and report what each step chose.

    Args:
        preprocessor: The unfitted preprocessor.
        train: The training features.
        params: The task's ``feature_engineering.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target).

    Returns:
        The feature report (inputs, unused columns, created features, the features after the
        transforms, and for each selector its scores, kept and dropped features) and the
        Pearson correlation matrix of the numeric training features.

    Raises:
        InputDataError: If a selector asks for more features than reach it.
    """
    from sklearn.base import clone

    features = train.drop(columns=[tabular.target])
    target = train[tabular.target]
    fitted = clone(preprocessor)
    transform = fitted.named_steps["transform"]
    # fit_transform, as Pipeline.fit does: target encoding is cross-fitted only there
    matrix = transform.fit_transform(features, target)
    names = list(transform.get_feature_names_out())
    selectors: dict[str, Any] = {}
    for step, selector in fitted.steps[1:]:
        _check_k(step, selector, len(names), params)
        matrix = selector.fit_transform(matrix, target)
        selectors[step] = _selector_report(step, selector, names)
        names = [name for name, kept in zip(names, selector.get_support(), strict=True) if kept]
    created = params.creation
    report = {
        "target": tabular.target,
        "input_columns": params.transform.columns,
        "unused_columns": sorted(set(features.columns) - set(params.transform.columns)),
        "created_features": sorted(
            [f"{c}_{p}" for c, parts in created.date_parts.items() for p in parts]
            + list(created.formulas)
            + ["_x_".join(group) for group in created.interactions]
        ),
        "transformed_features": list(transform.get_feature_names_out()),
        "selectors": selectors,
        "selected_features": names,
    }
    numeric = features.select_dtypes(include="number").astype("float64")
    return report, numeric.corr(method="pearson").round(6)


def _column(table: pd.DataFrame, column: str, tabular: TabularParams, key: str) -> pd.Series:
    """Return ``table[column]`` after checking that it exists and is not the target."""
    if column == tabular.target:
        raise InputDataError(
            f"{_KEY}.{key}: '{column}' is the target of '{tabular.dataset}'; features built "
            "from the target leak it into the model"
        )
    if column not in table.columns:
        raise InputDataError(
            f"{_KEY}.{key}: column '{column}' is not in '{tabular.dataset}' after cleaning; "
            f"columns: {sorted(map(str, table.columns))}"
        )
    return table[column]


def _check_k(step: str, selector: Any, available: int, params: FeatureParams) -> None:
    k = getattr(params.selection, step, None)
    k = getattr(k, "k", None)
    if k is not None and k > available:
        raise InputDataError(
            f"{_KEY}.selection.{step}.k is {k}, but only {available} feature(s) reach that "
            "selector; lower k or turn earlier selectors off"
        )


def _selector_report(step: str, selector: Any, names: list[str]) -> dict[str, Any]:
    """Scores, kept and dropped features of one fitted selector."""
    if step == "variance_threshold":
        scores = selector.variances_
    elif step == "correlation_filter":
        # each feature's largest absolute correlation with another one
        scores = np.where(np.eye(len(names), dtype=bool), 0.0, selector.correlations_).max(axis=0)
    elif step == "mutual_information":
        scores = selector.scores_
    else:
        estimator = selector.estimator_
        scores = getattr(estimator, "feature_importances_", None)
        if scores is None:
            scores = np.abs(np.atleast_2d(estimator.coef_)).sum(axis=0)
    support = selector.get_support()
    return {
        "scores": {name: round(float(score), 8) for name, score in zip(names, scores, strict=True)},
        "kept": [name for name, kept in zip(names, support, strict=True) if kept],
        "dropped": [name for name, kept in zip(names, support, strict=True) if not kept],
    }
