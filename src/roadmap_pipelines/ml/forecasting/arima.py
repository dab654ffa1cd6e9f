"""SARIMA: automatic order selection and forecasts with statsmodels' SARIMAX.

The search follows Hyndman & Khandakar (2008), the algorithm behind R's ``auto.arima``:
``d`` and ``D`` are fixed first (``stationarity.py``), then a stepwise walk over
``(p, q, P, Q, constant)`` moves to the first neighbour that lowers the information criterion
until none does. Candidates are scored in one of two ways:

* ``approximation: true`` (default): each candidate is fitted by conditional sum of squares
  (CSS) on the differenced series, a least-squares problem solved in about a millisecond,
  and scored by the *exact* likelihood at those estimates (one Kalman filter pass). The
  ``refine_top`` best are then fitted by exact maximum likelihood and the best exact
  criterion wins. Scoring by the CSS sum of squares itself, as R does, ranks seasonal
  candidates unfairly (CSS drops the first ``p + P m`` points) and misses e.g. the airline
  model on log(AirPassengers).
* ``approximation: false``: every candidate is fitted by exact maximum likelihood (CSS
  estimates are only its starting point); about 4x slower.

Exact fits use ``SARIMAX(simple_differencing=True, concentrate_scale=True)``: the likelihood
of the differenced series with a stationary start, which is what R's ``arima`` maximises,
about four times faster than the full model. Forecasts need the levels, so the full model
(differencing inside the state, diffuse start) is re-filtered with the parameters found; its
likelihood is the same.

Orders whose ordinary and seasonal AR (or MA) lags coincide, e.g. ``p >= m`` with ``P >= 1``
(statsmodels refuses them: "autoregressive lag(s) {4} are in both ..."), are never proposed.
Any candidate that still fails, model construction included, is recorded in the fit's
``search.failed`` and skipped; the search goes on with the others.

Like ``auto.arima``, candidates whose CSS estimates have AR or MA roots within 1.01 of the
unit circle are rejected, and a constant (``d + D = 0``) or drift (``d + D = 1``) term is a
candidate only while ``d + D <= 1``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from roadmap_pipelines.params.modelling_timeseries import ArimaParams

# a fit whose AR/MA roots have modulus below this is rejected, as in R's auto.arima
_MIN_ROOT_MODULUS = 1.01
_CSS_MAX_EVALUATIONS = 60  # per parameter; CSS fits that need more are not worth keeping
# L-BFGS stops when the objective improves by less than factr * machine epsilon (2e-7
# relative): plenty for comparing criteria, and 2-3x fewer likelihood evaluations than 1e7.
_LBFGS_FACTR = 1e9


@dataclass(frozen=True, order=True)
class Orders:
    """A SARIMA(p, d, q)(P, D, Q)[m] specification, with or without a constant/drift."""

    p: int
    d: int
    q: int
    P: int  # noqa: N815 - the conventional name of the seasonal orders
    D: int  # noqa: N815
    Q: int  # noqa: N815
    m: int
    constant: bool

    @property
    def n_coefficients(self) -> int:
        """Estimated coefficients, the constant included and the innovation variance not."""
        return self.p + self.q + self.P + self.Q + int(self.constant)

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.p, self.d, self.q)

    @property
    def seasonal_order(self) -> tuple[int, int, int, int]:
        return (self.P, self.D, self.Q, self.m) if self.m > 1 else (0, 0, 0, 0)

    def label(self) -> str:
        """R's notation, e.g. ``ARIMA(0,1,1)(0,1,1)[12] with drift``."""
        text = f"ARIMA({self.p},{self.d},{self.q})"
        if self.m > 1:
            text += f"({self.P},{self.D},{self.Q})[{self.m}]"
        if self.constant:
            text += " with drift" if self.d + self.D == 1 else " with non-zero mean"
        return text


@dataclass(frozen=True)
class ArimaFit:
    """An exact maximum-likelihood SARIMA fit: what forecasting and the summary need."""

    orders: Orders
    params: dict[str, float]  # statsmodels names, ``sigma2`` last
    loglik: float
    aic: float
    aicc: float
    bic: float
    nobs: int  # observations of the differenced series the likelihood covers
    models_tried: int = 0
    search: str = "fixed"
    failed: dict[str, str] = field(default_factory=dict)  # candidate label -> error

    def criterion(self, name: str) -> float:
        return {"aic": self.aic, "aicc": self.aicc, "bic": self.bic}[name]

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: orders, parameters, information criteria, search."""
        return {
            "label": self.orders.label(),
            "order": list(self.orders.order),
            "seasonal_order": list(self.orders.seasonal_order),
            "constant": self.orders.constant,
            "params": dict(self.params),
            "information_criteria": {
                "loglik": self.loglik,
                "aic": self.aic,
                "aicc": self.aicc,
                "bic": self.bic,
                "nobs": self.nobs,
            },
            "search": {
                "method": self.search,
                "models_tried": self.models_tried,
                "failed": dict(self.failed),
            },
        }


@dataclass(frozen=True)
class _Candidate:
    orders: Orders
    ic: float
    coefficients: np.ndarray | None  # CSS estimates in statsmodels' order, or None


def difference(values: np.ndarray, d: int, seasonal_d: int, m: int) -> np.ndarray:
    """Apply ``d`` ordinary and ``seasonal_d`` lag-``m`` differences."""
    out = np.asarray(values, dtype=float)
    for _ in range(seasonal_d):
        out = out[m:] - out[:-m]
    for _ in range(d):
        out = np.diff(out)
    return out


def information_criteria(loglik: float, n_coefficients: int, nobs: int) -> dict[str, float]:
    """AIC, AICc and BIC as R's ``arima``/``auto.arima`` define them.

    The innovation variance counts as a parameter; ``nobs`` is the length of the differenced
    series. AICc is infinite when there are too few observations for the correction.
    """
    npar = n_coefficients + 1
    aic = -2.0 * loglik + 2.0 * npar
    denominator = nobs - npar - 1
    aicc = aic + 2.0 * npar * (npar + 1) / denominator if denominator > 0 else math.inf
    bic = aic + npar * (math.log(nobs) - 2.0)
    return {"aic": aic, "aicc": aicc, "bic": bic}


# --- polynomials ----------------------------------------------------------------------------


def _lag_polynomial(coefficients: np.ndarray, step: int, sign: float) -> np.ndarray:
    """``1 + sign * (c1 B^step + c2 B^2step + ...)`` as an array of lag coefficients."""
    poly = np.zeros(len(coefficients) * step + 1)
    poly[0] = 1.0
    poly[step::step] = sign * np.asarray(coefficients, dtype=float)
    return poly


def _split(coefficients: np.ndarray, orders: Orders) -> dict[str, np.ndarray]:
    """Split a coefficient vector in statsmodels' order: constant, ar, ma, seasonal ar, ma."""
    sizes = {
        "constant": int(orders.constant),
        "ar": orders.p,
        "ma": orders.q,
        "seasonal_ar": orders.P,
        "seasonal_ma": orders.Q,
    }
    parts, start = {}, 0
    for name, size in sizes.items():
        parts[name] = np.asarray(coefficients[start : start + size], dtype=float)
        start += size
    return parts


def _polynomials(parts: dict[str, np.ndarray], m: int) -> tuple[np.ndarray, np.ndarray]:
    ar = np.convolve(
        _lag_polynomial(parts["ar"], 1, -1), _lag_polynomial(parts["seasonal_ar"], m, -1)
    )
    ma = np.convolve(
        _lag_polynomial(parts["ma"], 1, 1), _lag_polynomial(parts["seasonal_ma"], m, 1)
    )
    return ar, ma


def _roots_are_safe(parts: dict[str, np.ndarray], m: int, ma: bool = True) -> bool:
    """Every AR (and MA) factor has its roots outside the unit circle with a margin."""
    factors = [
        _lag_polynomial(parts["ar"], 1, -1),
        _lag_polynomial(parts["seasonal_ar"], 1, -1),
    ]
    if ma:
        factors += [_lag_polynomial(parts["ma"], 1, 1), _lag_polynomial(parts["seasonal_ma"], 1, 1)]
    for poly in factors:
        if len(poly) > 1 and np.any(poly[1:] != 0):
            # numpy wants the highest power first; roots of the polynomial in B
            roots = np.roots(poly[::-1])
            if np.any(np.abs(roots) < _MIN_ROOT_MODULUS):
                return False
    return True


# --- conditional sum of squares -------------------------------------------------------------


def _css_residuals(coefficients: np.ndarray, w: np.ndarray, orders: Orders) -> np.ndarray:
    from scipy.signal import lfilter

    parts = _split(coefficients, orders)
    ar, ma = _polynomials(parts, orders.m)
    mean = parts["constant"][0] if orders.constant else 0.0
    # residuals before the first p + P*m points are conditioned away, as in R's CSS
    innovations = lfilter([1.0], ma, np.convolve(w - mean, ar, mode="valid"))
    if not np.all(np.isfinite(innovations)):
        return np.full(len(innovations), 1e10)
    return innovations


def css_candidate(w: np.ndarray, orders: Orders, criterion: str) -> _Candidate:
    """Fit ``orders`` to the differenced series ``w`` by conditional sum of squares.

    The criterion uses the full length of ``w`` for every candidate so that candidates with
    different numbers of conditioned-away points stay comparable. Fits that fail, do not
    converge or land near the unit circle score ``inf``.
    """
    from scipy.optimize import least_squares

    k = orders.n_coefficients
    ncond = orders.p + orders.P * orders.m
    if len(w) - ncond <= k + 2:
        return _Candidate(orders, math.inf, None)
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
    parts = _split(coefficients, orders)
    if not converged or not sigma2 > 0 or sigma2 >= 1e19 or not _roots_are_safe(parts, orders.m):
        return _Candidate(orders, math.inf, None)
    loglik = -0.5 * len(w) * (math.log(2 * math.pi * sigma2) + 1.0)
    ic = information_criteria(loglik, k, len(w))[criterion]
    return _Candidate(orders, ic, _statsmodels_start(parts, orders))


def _statsmodels_start(parts: dict[str, np.ndarray], orders: Orders) -> np.ndarray:
    """CSS estimates as SARIMAX start parameters: the constant becomes an intercept."""
    ar, _ = _polynomials(parts, orders.m)
    intercept = parts["constant"] * ar.sum()  # c = mean * phi(1) * Phi(1)
    return np.concatenate(
        [intercept, parts["ar"], parts["ma"], parts["seasonal_ar"], parts["seasonal_ma"]]
    )


# --- exact maximum likelihood ----------------------------------------------------------------


def _sarimax(values: np.ndarray, orders: Orders, *, simple_differencing: bool) -> Any:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    return SARIMAX(
        values,
        order=orders.order,
        seasonal_order=orders.seasonal_order,
        trend="c" if orders.constant else "n",
        simple_differencing=simple_differencing,
        concentrate_scale=simple_differencing,
        enforce_stationarity=True,
        enforce_invertibility=True,
    )


def fit_exact(
    values: np.ndarray,
    orders: Orders,
    start: np.ndarray | None = None,
    maxiter: int = 50,
    check_roots: bool = True,
) -> ArimaFit | None:
    """Fit ``orders`` by exact maximum likelihood of the differenced series.

    Args:
        values: The series (on the modelling scale).
        orders: The model.
        start: Start parameters in statsmodels' order (CSS estimates), or ``None``.
        maxiter: L-BFGS iterations at most.
        check_roots: Reject a fit whose roots lie near the unit circle (search only).

    Returns:
        The fit, or ``None`` if it failed or was rejected.
    """
    try:
        model = _sarimax(values, orders, simple_differencing=True)
        if model.nobs <= orders.n_coefficients + 2:
            return None
        if model.k_params == 0:
            result = model.filter(np.array([]))
        else:
            result = model.fit(
                start_params=start,
                method="lbfgs",
                maxiter=maxiter,
                disp=False,
                cov_type="none",
                factr=_LBFGS_FACTR,
            )
    except (np.linalg.LinAlgError, ValueError):
        return None  # a numerically hopeless candidate; the search moves on
    loglik = float(result.llf)
    coefficients = np.asarray(result.params, dtype=float)
    if not math.isfinite(loglik) or not np.all(np.isfinite(coefficients)):
        return None
    # Only the AR side is checked here: exact ML often drives a seasonal MA to the edge of
    # invertibility (sma1 -> -1, deterministic seasonality after D = 1). R rejects such fits
    # and refits the next candidate, which here cost 3-4x the time for a worse mean MASE in
    # benchmarks/bench_timeseries.py; statsmodels keeps the MA strictly invertible anyway.
    if check_roots and not _roots_are_safe(_split(coefficients, orders), orders.m, ma=False):
        return None
    params = {
        name: float(value) for name, value in zip(model.param_names, coefficients, strict=True)
    }
    params["sigma2"] = float(result.scale)
    criteria = information_criteria(loglik, orders.n_coefficients, int(model.nobs))
    return ArimaFit(
        orders=orders,
        params=params,
        loglik=loglik,
        aic=criteria["aic"],
        aicc=criteria["aicc"],
        bic=criteria["bic"],
        nobs=int(model.nobs),
    )


# --- the search -----------------------------------------------------------------------------


def lags_collide(orders: Orders) -> bool:
    """Whether an ordinary and a seasonal AR (or MA) term share a lag (``p >= m``, ``P >= 1``)."""
    if orders.m <= 1:
        return False
    return (orders.P > 0 and orders.p >= orders.m) or (orders.Q > 0 and orders.q >= orders.m)


def _allowed(orders: Orders, settings: ArimaParams) -> bool:
    seasonal_ok = orders.m > 1 or (orders.P == 0 and orders.Q == 0)
    return (
        seasonal_ok
        and not lags_collide(orders)
        and 0 <= orders.p <= settings.max_p
        and 0 <= orders.q <= settings.max_q
        and 0 <= orders.P <= settings.max_P
        and 0 <= orders.Q <= settings.max_Q
        and orders.p + orders.q + orders.P + orders.Q <= settings.max_order
    )


def _neighbours(best: Orders, constant_allowed: bool) -> list[Orders]:
    """R's stepwise moves, in R's order: seasonal orders first, then ordinary, then constant."""
    moves = [
        {"P": -1}, {"Q": -1}, {"P": 1}, {"Q": 1},
        {"P": -1, "Q": -1}, {"P": -1, "Q": 1}, {"P": 1, "Q": -1}, {"P": 1, "Q": 1},
        {"p": -1}, {"q": -1}, {"p": 1}, {"q": 1},
        {"p": -1, "q": -1}, {"p": -1, "q": 1}, {"p": 1, "q": -1}, {"p": 1, "q": 1},
    ]  # fmt: skip
    out = [
        replace(best, **{key: getattr(best, key) + step for key, step in move.items()})
        for move in moves
    ]
    if constant_allowed:
        out.append(replace(best, constant=not best.constant))
    return out


def _start_models(
    d: int, seasonal_d: int, m: int, constant: bool, settings: ArimaParams
) -> list[Orders]:
    seasonal = m > 1
    starts = [
        (settings.start_p, settings.start_q, settings.start_P, settings.start_Q),
        (0, 0, 0, 0),
        (1, 0, 1, 0),
        (0, 1, 0, 1),
    ]
    models = [
        Orders(p, d, q, P if seasonal else 0, seasonal_d, Q if seasonal else 0, m, constant)
        for p, q, P, Q in starts
    ]
    if constant:
        models.append(Orders(0, d, 0, 0, seasonal_d, 0, m, False))
    return list(dict.fromkeys(models))


def exact_criterion(
    values: np.ndarray, orders: Orders, coefficients: np.ndarray, criterion: str
) -> float:
    """The exact likelihood's criterion at given (e.g. CSS) coefficients: one Kalman pass."""
    model = _sarimax(values, orders, simple_differencing=True)
    try:
        loglik = float(model.loglike(coefficients))
    except (np.linalg.LinAlgError, ValueError):
        return math.inf
    if not math.isfinite(loglik):
        return math.inf
    return information_criteria(loglik, orders.n_coefficients, int(model.nobs))[criterion]


class _Search:
    """The candidates scored so far for one series with fixed ``d`` and ``D``."""

    def __init__(self, values: np.ndarray, d: int, seasonal_d: int, m: int, settings: ArimaParams):
        self.values, self.d, self.seasonal_d, self.m = values, d, seasonal_d, m
        self.settings = settings
        self.criterion = settings.information_criterion
        self.w = difference(values, d, seasonal_d, m)
        self.constant_allowed = settings.allow_constant and d + seasonal_d <= 1
        self.scored: dict[Orders, _Candidate] = {}
        self.exact: dict[Orders, ArimaFit | None] = {}
        self.failed: dict[str, str] = {}

    def score(self, orders: Orders) -> float:
        """The candidate's criterion (CSS, or exact without approximation), cached.

        A candidate that raises scores ``inf`` and is recorded in ``failed``.
        """
        if orders not in self.scored:
            try:
                self.scored[orders] = self._scored(orders)
            except Exception as error:  # noqa: BLE001 - one candidate must not end the search
                self.failed[orders.label()] = f"{type(error).__name__}: {error}"
                self.scored[orders] = _Candidate(orders, math.inf, None)
        return self.scored[orders].ic

    def _scored(self, orders: Orders) -> _Candidate:
        candidate = css_candidate(self.w, orders, self.criterion)
        if self.settings.approximation and candidate.coefficients is not None:
            ic = exact_criterion(self.values, orders, candidate.coefficients, self.criterion)
            candidate = replace(candidate, ic=ic)
        if not self.settings.approximation:
            fit = fit_exact(self.values, orders, candidate.coefficients, self.settings.maxiter)
            self.exact[orders] = fit
            ic = fit.criterion(self.criterion) if fit else math.inf
            candidate = replace(candidate, ic=ic)
        return candidate

    def better(self, orders: Orders, than: Orders) -> bool:
        # ties go to the smaller orders, so the result never depends on the visiting order
        return (self.score(orders), orders) < (self.score(than), than)

    def stepwise(self) -> None:
        """Hyndman-Khandakar: from the best start model, move to the first better neighbour."""
        best: Orders | None = None
        starts = _start_models(
            self.d, self.seasonal_d, self.m, self.constant_allowed, self.settings
        )
        for orders in starts:
            if _allowed(orders, self.settings) and (best is None or self.better(orders, best)):
                best = orders
        improved = best is not None
        while improved:
            assert best is not None  # improved only once a start model was allowed
            improved = False
            for orders in _neighbours(best, self.constant_allowed):
                if len(self.scored) >= self.settings.max_models:
                    return
                if orders in self.scored or not _allowed(orders, self.settings):
                    continue
                if self.better(orders, best):
                    best, improved = orders, True
                    break

    def exhaustive(self) -> None:
        """Every candidate within the maxima."""
        settings, seasonal = self.settings, self.m > 1
        grid = itertools.product(
            range(settings.max_p + 1),
            range(settings.max_q + 1),
            range(settings.max_P + 1 if seasonal else 1),
            range(settings.max_Q + 1 if seasonal else 1),
            (False, True) if self.constant_allowed else (False,),
        )
        for p, q, seasonal_p, seasonal_q, constant in grid:
            orders = Orders(p, self.d, q, seasonal_p, self.seasonal_d, seasonal_q, self.m, constant)
            if _allowed(orders, self.settings):
                self.score(orders)

    def winner(self) -> ArimaFit | None:
        """The exact fit of the best candidate (after refitting the top few, if screening)."""
        ranked = sorted(self.scored.values(), key=lambda c: (c.ic, c.orders))
        if not self.settings.approximation:
            fits = (self.exact.get(candidate.orders) for candidate in ranked)
            return next((fit for fit in fits if fit is not None), None)
        refits: list[ArimaFit] = []
        for candidate in ranked:
            if not math.isfinite(candidate.ic) and refits:
                break
            try:
                fit = fit_exact(
                    self.values, candidate.orders, candidate.coefficients, self.settings.maxiter
                )
            except Exception as error:  # noqa: BLE001 - the next-ranked candidate is refitted
                self.failed[candidate.orders.label()] = f"{type(error).__name__}: {error}"
                fit = None
            if fit is not None:
                refits.append(fit)
            if len(refits) >= self.settings.refine_top:
                break
        return min(
            refits, key=lambda fit: (fit.criterion(self.criterion), fit.orders), default=None
        )


def search_orders(
    values: np.ndarray, m: int, d: int, seasonal_d: int, settings: ArimaParams
) -> ArimaFit:
    """Choose ``(p, q, P, Q, constant)`` for fixed ``d`` and ``D`` and fit the winner.

    Args:
        values: The series on the modelling scale.
        m: Season length (1: non-seasonal).
        d: Ordinary differences.
        seasonal_d: Seasonal differences.
        settings: ``modelling_timeseries.arima`` parameters.

    Returns:
        The exact maximum-likelihood fit of the chosen orders.

    Raises:
        ValueError: If no candidate could be fitted.
    """
    search = _Search(values, d, seasonal_d if m > 1 else 0, m, settings)
    if settings.stepwise:
        search.stepwise()
    else:
        search.exhaustive()
    fit = search.winner()
    if fit is None:
        raise ValueError(f"no SARIMA candidate could be fitted ({len(search.scored)} tried)")
    method = ("stepwise" if settings.stepwise else "exhaustive") + (
        " css screening, exact refit of the best" if settings.approximation else " exact"
    )
    return replace(fit, models_tried=len(search.scored), search=method, failed=search.failed)


def fit_fixed(values: np.ndarray, orders: Orders, maxiter: int) -> ArimaFit:
    """Fit the configured orders by exact maximum likelihood (no root check).

    Raises:
        ValueError: If the fit fails.
    """
    w = difference(values, orders.d, orders.D, orders.m)
    start = css_candidate(w, orders, "aicc").coefficients
    fit = fit_exact(values, orders, start, maxiter, check_roots=False)
    if fit is None:
        raise ValueError(f"{orders.label()} could not be fitted to {len(values)} points")
    return replace(fit, models_tried=1, search="fixed")


def forecast(values: np.ndarray, fit: ArimaFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Forecast ``horizon`` steps by re-filtering the full model with the fitted parameters.

    Returns:
        The forecast means and their standard errors (on the modelling scale).
    """
    model = _sarimax(values, fit.orders, simple_differencing=False)
    params = np.array([fit.params[name] for name in model.param_names])
    result = model.filter(params)
    prediction = result.get_forecast(horizon)
    mean = np.asarray(prediction.predicted_mean, dtype=float)
    se = np.sqrt(np.maximum(np.asarray(prediction.var_pred_mean, dtype=float), 0.0))
    return mean, se
