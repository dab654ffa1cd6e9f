"""Which steps of a feature preprocessor need the target to be fitted, and a copy without them
(for unsupervised uses of the same features, such as segmentation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def needs_target(step: Any) -> bool:
    """Whether fitting ``step`` needs the target: target encoders and supervised selectors,
    also inside a ``Pipeline`` (scikit-learn's tags miss both once wrapped)."""
    from sklearn.feature_selection import (
        RFE,
        GenericUnivariateSelect,
        SelectFdr,
        SelectFpr,
        SelectFromModel,
        SelectFwe,
        SelectKBest,
        SelectPercentile,
        SequentialFeatureSelector,
    )
    from sklearn.pipeline import Pipeline
    from sklearn.utils import get_tags

    if isinstance(step, str):  # "drop", "passthrough"
        return False
    if isinstance(step, Pipeline):
        return any(needs_target(inner) for _, inner in step.steps)
    supervised = (
        SelectKBest,
        SelectPercentile,
        GenericUnivariateSelect,
        SelectFpr,
        SelectFdr,
        SelectFwe,
        SelectFromModel,
        RFE,
        SequentialFeatureSelector,
    )
    return isinstance(step, supervised) or get_tags(step).target_tags.required


def without_supervised_steps(preprocessor: Pipeline, where: str) -> tuple[Pipeline, list[str]]:
    """A copy of the preprocessor without the steps that need the target.

    Column groups encoded with the target are dropped from the ``ColumnTransformer``;
    supervised selectors are removed from the pipeline. Everything else (imputers, scalers,
    encoders, variance and correlation filters) is kept as specified.

    Args:
        preprocessor: An unfitted feature preprocessor.
        where: The parameter that asked for it, named in the error.

    Returns:
        The unfitted copy (pandas output) and the names of what was removed.

    Raises:
        InputDataError: If every column group needs the target, so nothing would be left.
    """
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    copy = clone(preprocessor)
    removed: list[str] = []
    for name, step in copy.steps:
        if isinstance(step, ColumnTransformer):
            for group, transformer, columns in step.transformers:
                if needs_target(transformer):
                    step.set_params(**{group: "drop"})
                    removed.append(f"{name}.{group} {list(columns)}")
            if all(isinstance(t, str) and t == "drop" for _, t, _ in step.transformers):
                raise InputDataError(
                    f"{where}: 'drop' removes every column group of the "
                    f"preprocessor ({removed}): all of them need the target. Use "
                    "'fit_with_target', or give some columns an unsupervised encoder"
                )
    kept = []
    for name, step in copy.steps:
        if needs_target(step):
            removed.append(name)
        else:
            kept.append((name, step))
    return Pipeline(kept).set_output(transform="pandas"), removed
