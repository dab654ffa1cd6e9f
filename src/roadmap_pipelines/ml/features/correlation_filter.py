"""A scikit-learn selector that drops features highly correlated with an earlier one.

scikit-learn has no correlation filter; this one follows its selector API
(``SelectorMixin``: ``get_support``, ``get_feature_names_out``, pandas output).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class CorrelationFilter(SelectorMixin, BaseEstimator):
    """Keep a feature unless its absolute Pearson correlation with a kept one exceeds a limit.

    Features are visited in input order, so of two near-duplicates the first is kept. A
    constant feature has no defined correlation and is kept (drop it with a variance
    threshold before this step).

    Args:
        threshold: Largest absolute correlation allowed between two kept features.

    Attributes:
        correlations_: Absolute correlation matrix of the training features.
        support_: Boolean mask of the kept features.
    """

    def __init__(self, threshold: float = 0.95) -> None:
        self.threshold = threshold

    def fit(self, X, y=None) -> CorrelationFilter:  # noqa: N803 - scikit-learn's convention
        """Learn which features to keep from the training rows ``X``."""
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must lie in (0, 1], got {self.threshold}")
        values = validate_data(self, X, dtype=np.float64, ensure_all_finite=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            correlations = np.abs(np.corrcoef(values, rowvar=False))
        self.correlations_ = np.nan_to_num(np.atleast_2d(correlations), nan=0.0)
        keep: list[int] = []
        for index in range(values.shape[1]):
            if all(self.correlations_[index, kept] <= self.threshold for kept in keep):
                keep.append(index)
        self.support_ = np.zeros(values.shape[1], dtype=bool)
        self.support_[keep] = True
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_
