"""Conditional sum of squares (CSS): the fast screening fit of SARIMA candidates.

Each candidate is fitted by least squares on the differenced series (about a millisecond);
``arima_search.py`` scores it by the exact likelihood at those estimates and refits the best
by exact maximum likelihood (``arima.py``), starting from them. Like ``auto.arima``,
candidates whose CSS estimates have AR or MA roots within 1.01 of the unit circle are
rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from roadmap_pipelines.ml.forecasting.arima import (
    Orders,
    information_criteria,
    lag_polynomials,
    roots_are_safe,
    split_coefficients,
)

if TYPE_CHECKING:
    import numpy as np

_CSS_MAX_EVALUATIONS = 60  # per parameter; CSS fits that need more are not worth keeping


@dataclass(frozen=True)
class Candidate:
    """A screened candidate: its criterion and CSS estimates (``None`` if it failed)."""

    orders: Orders
    ic: float
    coefficients: np.ndarray | None  # CSS estimates in statsmodels' order, or None


def _css_residuals(coefficients: np.ndarray, w: np.ndarray, orders: Orders) -> np.ndarray:
    import numpy as np
    from scipy.signal import lfilter

    parts = split_coefficients(coefficients, orders)
    ar, ma = lag_polynomials(parts, orders.m)
    mean = parts["constant"][0] if orders.constant else 0.0
    # residuals before the first p + P*m points are conditioned away, as in R's CSS
    innovations = lfilter([1.0], ma, np.convolve(w - mean, ar, mode="valid"))
    if not np.all(np.isfinite(innovations)):
        return np.full(len(innovations), 1e10)
    return innovations


def css_candidate(w: np.ndarray, orders: Orders, criterion: str) -> Candidate:
    """Fit ``orders`` to the differenced series ``w`` by conditional sum of squares.

    The criterion uses the full length of ``w`` for every candidate so that candidates with
    different numbers of conditioned-away points stay comparable. Fits that fail, do not
    converge or land near the unit circle score ``inf``.
    """
    import numpy as np
    from scipy.optimize import least_squares

    k = orders.n_coefficients
    ncond = orders.p + orders.P * orders.m
    if len(w) - ncond <= k + 2:
        return Candidate(orders, math.inf, None)
    start = np.zeros(k)
    if orders.constant:
        start[0] = float(np.mean(w))
    if k:
        solution = least_squares(
            _css_residuals,
            start,
            args=(w, orders),
            method="lm",
            max_nfev=_CSS_MAX_EVALUATIONS * (k + 1),
        )
        coefficients, residuals = solution.x, solution.fun
        converged = solution.status > 0
    else:
        coefficients, residuals, converged = start, _css_residuals(start, w, orders), True
    sigma2 = float(np.mean(residuals**2))
    parts = split_coefficients(coefficients, orders)
    if not converged or not sigma2 > 0 or sigma2 >= 1e19 or not roots_are_safe(parts, orders.m):
        return Candidate(orders, math.inf, None)
    loglik = -0.5 * len(w) * (math.log(2 * math.pi * sigma2) + 1.0)
    ic = information_criteria(loglik, k, len(w))[criterion]
    return Candidate(orders, ic, statsmodels_start(parts, orders))


def statsmodels_start(parts: dict[str, np.ndarray], orders: Orders) -> np.ndarray:
    """CSS estimates as SARIMAX start parameters: the constant becomes an intercept."""
    import numpy as np

    ar, _ = lag_polynomials(parts, orders.m)
    intercept = parts["constant"] * ar.sum()  # c = mean * phi(1) * Phi(1)
    return np.concatenate(
        [intercept, parts["ar"], parts["ma"], parts["seasonal_ar"], parts["seasonal_ma"]]
    )
