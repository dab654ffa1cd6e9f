"""Nodes that specify, check and report the feature preprocessor.

Row-wise feature creation (``create_features``) is a library function
(``roadmap_pipelines.ml.features.row_features``): the deployable scorer applies it to new rows
too, and the pipeline uses it as its node function.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.features.row_features import feature_column
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    from roadmap_pipelines.hint_stand_ins import pd

    Pipeline = Any

_KEY = "parameters_feature_engineering.yml: feature_engineering.<task>"

logger = logging.getLogger(__name__)


def specify_preprocessor(
    train: pd.DataFrame,
    params: FeatureParams,
    tabular: TaskParams,
    problem: str,
    random_state: int,
) -> Pipeline:
    """Check the transform groups against the training features and build the preprocessor.

    Args:
        train: The training features (``create_features`` output).
        params: The task's ``feature_engineering.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem`` (validated before the run starts).
        random_state: The project seed.

    Returns:
        The unfitted preprocessor; modelling fits it inside every CV fold.

    Raises:
        InputDataError: If a group names the target, a missing column, a non-numeric column
            in a numeric group, or an ordinal order that misses a training label.
    """
    import pandas as pd

    from roadmap_pipelines.ml.features.preprocessor import build_preprocessor

    for index, group in enumerate(params.transform.numeric):
        for column in group.columns:
            values = feature_column(train, column, tabular, f"transform.numeric[{index}]")
            if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
                raise InputDataError(
                    f"{_KEY}.transform.numeric[{index}]: column '{column}' of "
                    f"'{tabular.dataset}' is {values.dtype}; move it to a categorical group"
                )
    for index, categorical in enumerate(params.transform.categorical):
        key = f"transform.categorical[{index}]"
        for column in categorical.columns:
            values = feature_column(train, column, tabular, key).dropna()
            # distinct values first: text of every one of a million rows takes seconds
            labels = set(values.drop_duplicates().astype(str))
            order = (categorical.categories or {}).get(column)
            unordered = sorted(labels - set(order)) if order is not None else []
            if unordered:
                raise InputDataError(
                    f"{_KEY}.{key}.categories.{column}: training labels {unordered} of "
                    f"'{tabular.dataset}' are not in the declared order {order}; they would "
                    "all be encoded as unknown (-1)"
                )
    for index, text in enumerate(params.transform.text):
        for column in text.columns:
            feature_column(train, column, tabular, f"transform.text[{index}]")
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
    preprocessor: Pipeline,
    train: pd.DataFrame,
    params: FeatureParams,
    tabular: TaskParams,
    problem: str,
    random_state: int,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit a copy of the preprocessor on the training rows and report what each step chose.

    Above ``params.report_rows`` training rows, the copy and the correlation matrix are fitted
    on a seeded sample of that many rows (stratified by the target for classification): the
    report describes the steps, the model is fitted on every row in modelling.

    Args:
        preprocessor: The unfitted preprocessor.
        train: The training features.
        params: The task's ``feature_engineering.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        random_state: The project seed (for the sample).

    Returns:
        The feature report (inputs, unused columns, created features, the features after the
        transforms, for each selector its scores, kept and dropped features, and the rows it
        was fitted on) and the Pearson correlation matrix of the numeric training features.

    Raises:
        InputDataError: If a selector asks for more features than reach it.
    """
    from sklearn.base import clone

    rows, fitted_on = _report_rows(train, tabular.target, params.report_rows, problem, random_state)
    if fitted_on["sampled"]:
        logger.info(
            "The feature report of '%s' is fitted on a sample of %d of %d training rows "
            "(feature_engineering.<task>.report_rows)",
            tabular.dataset,
            fitted_on["rows"],
            fitted_on["training_rows"],
        )
    features = rows.drop(columns=[tabular.target])
    target = rows[tabular.target]
    fitted = clone(preprocessor)
    transform = fitted.named_steps["transform"]
    # fit_transform, as Pipeline.fit does: target encoding is cross-fitted only there
    matrix = transform.fit_transform(_numeric_as_float(features, params), target)
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
        "fitted_on": fitted_on,
    }
    numeric = features.select_dtypes(include="number").astype("float64")
    return report, numeric.corr(method="pearson").round(6)


def _report_rows(
    train: pd.DataFrame, target: str, budget: int | None, problem: str, random_state: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``train``, or a seeded sample of ``budget`` of its rows in their original order, and
    how many rows that is, of how many, and how they were chosen (the report's ``fitted_on``).

    Fitting the report's copy of the preprocessor on every row of a large table costs seconds
    per million rows for scores a sample estimates closely. Classification samples keep each
    class's share (scikit-learn's stratified split) unless a class has a single row (a
    stratified split needs two of each).
    """
    from roadmap_pipelines.ml.data.splitting import sample_positions

    if budget is None or len(train) <= budget:
        return train, {"rows": len(train), "training_rows": len(train), "sampled": False}
    labels = train[target]
    stratified = problem_kind(problem) == "classification" and labels.value_counts().min() >= 2
    positions = sample_positions(labels, budget, stratified, random_state)
    return train.iloc[positions], {
        "rows": budget,
        "training_rows": len(train),
        "sampled": True,
        "stratified_by": target if stratified else None,
        "seed": random_state,
    }


def _numeric_as_float(features: pd.DataFrame, params: FeatureParams) -> pd.DataFrame:
    """``features`` with the numeric groups' nullable columns (``Int64``, ``Float64``) as float64.

    scikit-learn turns such columns into floats by way of an object array, which takes
    seconds a million rows; the same floats (missing values as NaN) made here give the same
    fit. Categorical groups keep their columns: their labels must not become floats.
    """
    import numpy as np
    import pandas as pd

    numeric = {column for group in params.transform.numeric for column in group.columns}
    converted = {
        column: features[column].to_numpy(dtype="float64", na_value=np.nan)
        for column in numeric
        if isinstance(features[column].dtype, pd.api.extensions.ExtensionDtype)
        and (
            pd.api.types.is_integer_dtype(features[column])
            or pd.api.types.is_float_dtype(features[column])
        )
    }
    return features.assign(**converted) if converted else features


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
    import numpy as np

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
