"""SARIMA models: specification, lag polynomials, exact fits and forecasts.

The conditional-sum-of-squares screening lives in ``arima_css.py``, the order search built
on both (and the fit of fixed orders) in ``arima_search.py``. Candidates are scored in one of
two ways there:

* ``approximation: true`` (default): each candidate is fitted by conditional sum of squares
  (CSS, ``css_candidate``) on the differenced series, a least-squares problem solved in about
  a millisecond, and scored by the *exact* likelihood at those estimates (one Kalman filter
  pass, ``exact_criterion``). The ``refine_top`` best are then fitted by exact maximum
  likelihood (``fit_exact``). Scoring by the CSS sum of squares itself, as R does, ranks
  seasonal candidates unfairly (CSS drops the first ``p + P m`` points) and misses e.g. the
  airline model on log(AirPassengers).
* ``approximation: false``: every candidate is fitted by exact maximum likelihood (CSS
  estimates are only its starting point); about 4x slower.

Exact fits use ``SARIMAX(simple_differencing=True, concentrate_scale=True)``: the likelihood
of the differenced series with a stationary start, which is what R's ``arima`` maximises,
about four times faster than the full model. Forecasts need the levels, so the full model
(differencing inside the state, diffuse start) is re-filtered with the parameters found; its
likelihood is the same.

Like ``auto.arima``, candidates whose CSS estimates have AR or MA roots within 1.01 of the
unit circle are rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# a fit whose AR/MA roots have modulus below this is rejected, as in R's auto.arima
_MIN_ROOT_MODULUS = 1.01
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


def difference(values: np.ndarray, d: int, seasonal_d: int, m: int) -> np.ndarray:
    """Apply ``d`` ordinary and ``seasonal_d`` lag-``m`` differences."""
    import numpy as np

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
    import numpy as np

    poly = np.zeros(len(coefficients) * step + 1)
    poly[0] = 1.0
    poly[step::step] = sign * np.asarray(coefficients, dtype=float)
    return poly


def split_coefficients(coefficients: np.ndarray, orders: Orders) -> dict[str, np.ndarray]:
    """Split a coefficient vector in statsmodels' order: constant, ar, ma, seasonal ar, ma."""
    import numpy as np

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


def lag_polynomials(parts: dict[str, np.ndarray], m: int) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    ar = np.convolve(
        _lag_polynomial(parts["ar"], 1, -1), _lag_polynomial(parts["seasonal_ar"], m, -1)
    )
    ma = np.convolve(
        _lag_polynomial(parts["ma"], 1, 1), _lag_polynomial(parts["seasonal_ma"], m, 1)
    )
    return ar, ma


def roots_are_safe(parts: dict[str, np.ndarray], m: int, ma: bool = True) -> bool:
    """Every AR (and MA) factor has its roots outside the unit circle with a margin."""
    import numpy as np

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
    import numpy as np

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
    if check_roots and not roots_are_safe(
        split_coefficients(coefficients, orders), orders.m, ma=False
    ):
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


def exact_criterion(
    values: np.ndarray, orders: Orders, coefficients: np.ndarray, criterion: str
) -> float:
    """The exact likelihood's criterion at given (e.g. CSS) coefficients: one Kalman pass."""
    import numpy as np

    model = _sarimax(values, orders, simple_differencing=True)
    try:
        loglik = float(model.loglike(coefficients))
    except (np.linalg.LinAlgError, ValueError):
        return math.inf
    if not math.isfinite(loglik):
        return math.inf
    return information_criteria(loglik, orders.n_coefficients, int(model.nobs))[criterion]


def previous_estimates(
    previous: ArimaFit | None, orders: Orders, otherwise: np.ndarray | None
) -> np.ndarray | None:
    """``previous``'s estimates as start parameters if it has ``orders``, else ``otherwise``."""
    import numpy as np

    if previous is None or previous.orders != orders:
        return otherwise
    return np.array([value for name, value in previous.params.items() if name != "sigma2"])


def forecast(values: np.ndarray, fit: ArimaFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Forecast ``horizon`` steps by re-filtering the full model with the fitted parameters.

    Returns:
        The forecast means and their standard errors (on the modelling scale).
    """
    import numpy as np

    model = _sarimax(values, fit.orders, simple_differencing=False)
    params = np.array([fit.params[name] for name in model.param_names])
    result = model.filter(params)
    prediction = result.get_forecast(horizon)
    mean = np.asarray(prediction.predicted_mean, dtype=float)
    se = np.sqrt(np.maximum(np.asarray(prediction.var_pred_mean, dtype=float), 0.0))
    return mean, se
