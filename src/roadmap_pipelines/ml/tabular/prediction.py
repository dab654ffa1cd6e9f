"""Predictions of a fitted model and the metrics of them, each split predicted once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.tabular.metrics import classification_metrics, regression_metrics

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any


@dataclass(frozen=True)
class Scoring:
    """What every fold reports: the problem, metric names and the binary positive class."""

    problem: str
    metrics: tuple[str, ...]
    positive_class: Any = None


def predict(model: Pipeline, features: pd.DataFrame, problem: str) -> tuple[Any, Any]:
    """Predictions and, for a classifier with ``predict_proba``, class probabilities.

    The feature transforms run once for both (``Pipeline.predict`` and ``predict_proba``
    would each run them again); the results are the pipeline's own.

    Args:
        model: The fitted pipeline (or a bare estimator).
        features: The rows' features.
        problem: ``classification`` or ``regression``.

    Returns:
        Predictions, and probabilities (one column per ``classes_``) or ``None``.
    """
    import numpy as np
    from sklearn.pipeline import Pipeline

    final, transformed = model, features
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        final, transformed = model.steps[-1][1], model[:-1].transform(features)
    if problem == "classification" and hasattr(final, "predict_proba"):
        probabilities = final.predict_proba(transformed)
        if _predicts_most_probable(final):
            # what their predict computes from a second predict_proba of the same rows
            return final.classes_[np.argmax(probabilities, axis=1)], probabilities
        return final.predict(transformed), probabilities
    return final.predict(transformed), None


# Classifiers whose ``predict`` is, in their own source, ``classes_[argmax(predict_proba)]``:
# for them the class follows from the probabilities without predicting the rows again.
# Others decide from their decision function (logistic regression, SVMs, and histogram
# gradient boosting, whose raw score > 0 can differ from a probability rounded to 0.5).
_MOST_PROBABLE = (
    ("lightgbm.sklearn", "LGBMClassifier"),
    ("sklearn.ensemble._forest", "RandomForestClassifier"),
    ("sklearn.ensemble._forest", "ExtraTreesClassifier"),
)


def _predicts_most_probable(estimator: Any) -> bool:
    kind = type(estimator)
    # a LightGBM model with a custom objective function predicts raw scores instead
    custom = callable(getattr(estimator, "objective", None))
    return (kind.__module__, kind.__qualname__) in _MOST_PROBABLE and not custom


def score(
    target: Any, predictions: Any, probabilities: Any, classes: list[Any], scoring: Scoring
) -> dict[str, float]:
    """Each requested metric of ``predictions`` (and ``probabilities``) against ``target``."""
    if scoring.problem == "regression":
        values = regression_metrics(target, predictions, scoring.metrics)
    else:
        values = classification_metrics(
            target, predictions, probabilities, classes, scoring.positive_class, scoring.metrics
        )
    return {name: values[name] for name in scoring.metrics}


def score_predictions(
    model: Pipeline, features: pd.DataFrame, target: pd.Series, scoring: Scoring
) -> dict[str, float]:
    """Score a fitted model on rows it has not seen.

    Args:
        model: The fitted pipeline.
        features: The rows' features.
        target: Their true target.
        scoring: Problem, metric names and positive class.

    Returns:
        Each requested metric's value.
    """
    predictions, probabilities = predict(model, features, scoring.problem)
    classes = list(model.classes_) if scoring.problem == "classification" else []
    return score(target, predictions, probabilities, classes, scoring)
