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
    from sklearn.pipeline import Pipeline

    final, transformed = model, features
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        final, transformed = model.steps[-1][1], model[:-1].transform(features)
    predictions = final.predict(transformed)
    if problem == "classification" and hasattr(final, "predict_proba"):
        return predictions, final.predict_proba(transformed)
    return predictions, None


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
