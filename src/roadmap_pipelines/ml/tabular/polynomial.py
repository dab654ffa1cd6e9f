"""The roadmap's polynomial regression as one scikit-learn estimator (``polynomial_regression``)."""

from __future__ import annotations

from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted


class PolynomialRegression(RegressorMixin, BaseEstimator):
    """Linear regression on polynomial terms of the features: the roadmap's polynomial model.

    Args:
        degree: Highest power (and interaction order) of the terms; searchable like any
            other parameter.
        fit_intercept: Whether the linear model fits an intercept.
    """

    def __init__(self, degree: int = 2, fit_intercept: bool = True) -> None:
        self.degree = degree
        self.fit_intercept = fit_intercept

    def fit(self, X, y) -> PolynomialRegression:  # noqa: N803 - scikit-learn's convention
        """Fit the linear model on the polynomial terms of ``X``."""
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import PolynomialFeatures

        self.pipeline_ = make_pipeline(
            PolynomialFeatures(degree=self.degree, include_bias=False),
            LinearRegression(fit_intercept=self.fit_intercept),
        ).fit(X, y)
        self.n_features_in_ = self.pipeline_.n_features_in_
        return self

    def predict(self, X):  # noqa: N803
        """Predict with the fitted polynomial model."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict(X)
