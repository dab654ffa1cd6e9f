"""Deterministic toy estimators whose behaviour tests can predict exactly.

They live in an importable module (``tests/`` is on ``pythonpath``) so the estimator registry
can build them by import path, e.g. ``toy_estimators.ConstantRegressor``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

# Every SpyRegressor.fit appends the ``row_id`` values it was fitted on here.
FITTED_ROWS: list[list[int]] = []


def _column(X, name: str) -> np.ndarray:  # noqa: N803 - scikit-learn's convention
    if isinstance(X, pd.DataFrame):
        return X[name].to_numpy()
    raise TypeError(f"expected a DataFrame with column '{name}'")


class ConstantRegressor(RegressorMixin, BaseEstimator):
    """Predicts ``c`` for every row: the mean squared error is smallest at the target mean."""

    def __init__(self, c: float = 0.0) -> None:
        self.c = c

    def fit(self, X, y):  # noqa: N803
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):  # noqa: N803
        return np.full(len(X), float(self.c))


class MarkerFailRegressor(RegressorMixin, BaseEstimator):
    """Predicts ``c``; if ``fragile``, fails to fit when a row with ``marker == 1`` is in the
    training rows (so with two folds, exactly one fold fails)."""

    def __init__(self, c: float = 0.0, fragile: bool = True) -> None:
        self.c = c
        self.fragile = fragile

    def fit(self, X, y):  # noqa: N803
        if self.fragile and (_column(X, "marker") == 1).any():
            raise ValueError("marker row in the training set")
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):  # noqa: N803
        return np.full(len(X), float(self.c))


class AlwaysFailClassifier(ClassifierMixin, BaseEstimator):
    """Fails every fit with the same message."""

    def __init__(self, strength: int = 1) -> None:
        self.strength = strength

    def fit(self, X, y):  # noqa: N803
        raise RuntimeError(f"cannot fit at strength {self.strength}")


class SpyRegressor(RegressorMixin, BaseEstimator):
    """Records the ``row_id`` column of every training set; predicts the training mean."""

    def fit(self, X, y):  # noqa: N803
        FITTED_ROWS.append(sorted(int(v) for v in _column(X, "row_id")))
        self.mean_ = float(np.mean(y))
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):  # noqa: N803
        return np.full(len(X), self.mean_)


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Records the ``row_id`` column of every training set; predicts the first class seen."""

    def fit(self, X, y):  # noqa: N803
        FITTED_ROWS.append(sorted(int(v) for v in _column(X, "row_id")))
        self.classes_ = np.unique(np.asarray(y))
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):  # noqa: N803
        return np.full(len(X), self.classes_[0], dtype=object)


class SleepyRegressor(RegressorMixin, BaseEstimator):
    """Sleeps ``seconds`` per fit, then predicts ``c``."""

    def __init__(self, c: float = 0.0, seconds: float = 0.05) -> None:
        self.c = c
        self.seconds = seconds

    def fit(self, X, y):  # noqa: N803
        time.sleep(self.seconds)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):  # noqa: N803
        return np.full(len(X), float(self.c))
