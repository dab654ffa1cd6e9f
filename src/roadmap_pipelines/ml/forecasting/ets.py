"""Exponential smoothing (ETS) with automatic choice of trend, damping and seasonality.

Each candidate is a statsmodels ``ETSModel`` (Hyndman et al.'s innovations state-space
form) fitted by maximum likelihood; the candidate with the lowest information criterion
(AICc by default, as R's ``forecast::ets``) wins. Errors are additive: a series with
multiplicative behaviour is log- or Box-Cox-transformed before it gets here, which keeps
the prediction intervals analytic (statsmodels simulates them for multiplicative errors).

As in R, a seasonal component is a candidate only for ``1 < m <= max_season_length`` and
at least two whole seasons, and a damped trend only together with a trend. A candidate that
fails (construction, fit, or a non-finite likelihood) is recorded and skipped.

The fit keeps only plain data (the specification and the parameter vector), so a pickled
fit is the same bytes in every process; forecasting re-runs the smoother with those
parameters (``ETSModel.smooth``), no re-estimation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, order=True)
class EtsSpec:
    """One ETS(A, trend, seasonal) specification."""

    trend: bool
    damped: bool
    seasonal: bool
    m: int

    def label(self) -> str:
        """Hyndman's notation, e.g. ``ETS(A,Ad,A)``."""
        trend = ("Ad" if self.damped else "A") if self.trend else "N"
        return f"ETS(A,{trend},{'A' if self.seasonal else 'N'})"

    def model(self, values: np.ndarray, initialization: str) -> Any:
        import numpy as np
        import pandas as pd
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        # a RangeIndex Series: ETSModel's get_prediction fails on a bare ndarray
        return ETSModel(
            pd.Series(np.asarray(values, dtype=float)),
            error="add",
            trend="add" if self.trend else None,
            damped_trend=self.damped,
            seasonal="add" if self.seasonal else None,
            seasonal_periods=self.m if self.seasonal else None,
            initialization_method=initialization,
        )


@dataclass(frozen=True)
class EtsFit:
    """A fitted ETS model: what forecasting and the summary need, as plain data."""

    spec: EtsSpec
    initialization: str
    params: dict[str, float]
    loglik: float
    aic: float
    aicc: float
    bic: float
    nobs: int
    candidates: dict[str, float | None] = field(default_factory=dict)  # label -> criterion
    failed: dict[str, str] = field(default_factory=dict)  # label -> why it was skipped

    def criterion(self, name: str) -> float:
        return {"aic": self.aic, "aicc": self.aicc, "bic": self.bic}[name]

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: specification, parameters, criteria, candidates."""
        return {
            "label": self.spec.label(),
            "trend": self.spec.trend,
            "damped": self.spec.damped,
            "seasonal": self.spec.seasonal,
            "initialization": self.initialization,
            "params": dict(self.params),
            "information_criteria": {
                "loglik": self.loglik,
                "aic": self.aic,
                "aicc": self.aicc,
                "bic": self.bic,
                "nobs": self.nobs,
            },
            "search": {"candidates": dict(self.candidates), "failed": dict(self.failed)},
        }


def candidate_specs(
    n: int, m: int, trends: list[str], seasonal: bool, max_season_length: int
) -> list[EtsSpec]:
    """The specifications searched for a series of ``n`` points with season length ``m``.

    Args:
        n: Series length.
        m: Season length.
        trends: Any of ``none``, ``additive``, ``damped``.
        seasonal: Whether seasonal candidates are allowed at all.
        max_season_length: Longest season an additive seasonal component is tried for.
    """
    seasonals = [False]
    if seasonal and 1 < m <= max_season_length and n >= 2 * m:
        seasonals.append(True)
    flags = {"none": (False, False), "additive": (True, False), "damped": (True, True)}
    return [EtsSpec(*flags[trend], has_season, m) for trend in trends for has_season in seasonals]


def fit_spec(values: np.ndarray, spec: EtsSpec, initialization: str, maxiter: int) -> EtsFit:
    """Fit one specification by maximum likelihood.

    Raises:
        ValueError: If the fit gives a non-finite likelihood or parameters.
    """
    import numpy as np

    result = spec.model(values, initialization).fit(disp=False, maxiter=maxiter)
    params = np.asarray(result.params, dtype=float)
    loglik = float(result.llf)
    if not math.isfinite(loglik) or not np.all(np.isfinite(params)):
        raise ValueError(f"{spec.label()}: the likelihood or a parameter is not finite")
    return EtsFit(
        spec=spec,
        initialization=initialization,
        params=dict(zip(result.param_names, params.tolist(), strict=True)),
        loglik=loglik,
        aic=float(result.aic),
        aicc=float(result.aicc) if math.isfinite(result.aicc) else math.inf,
        bic=float(result.bic),
        nobs=int(result.nobs),
    )


def select_ets(
    values: np.ndarray,
    m: int,
    *,
    trends: list[str],
    seasonal: bool = True,
    max_season_length: int = 24,
    criterion: str = "aicc",
    initialization: str = "heuristic",
    maxiter: int = 200,
) -> EtsFit:
    """Fit every candidate specification and keep the lowest ``criterion``.

    Ties go to the simpler specification (``EtsSpec`` order), so the choice never depends
    on the visiting order.

    Raises:
        ValueError: If no candidate could be fitted (every reason is in the message).
    """
    fits, failed = [], {}
    for spec in candidate_specs(len(values), m, trends, seasonal, max_season_length):
        try:
            fits.append(fit_spec(values, spec, initialization, maxiter))
        except Exception as error:  # noqa: BLE001 - one bad candidate must not end the search
            failed[spec.label()] = f"{type(error).__name__}: {error}"
    if not fits:
        raise ValueError(f"no ETS candidate could be fitted: {failed}")
    best = min(fits, key=lambda fit: (fit.criterion(criterion), fit.spec))
    scores = {fit.spec.label(): fit.criterion(criterion) for fit in fits}
    candidates = {
        label: (score if math.isfinite(score) else None) for label, score in sorted(scores.items())
    }
    return EtsFit(**{**best.__dict__, "candidates": candidates, "failed": failed})


def forecast(values: np.ndarray, fit: EtsFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Forecast ``horizon`` steps by re-running the smoother with the fitted parameters.

    Returns:
        Forecast means and their (analytic) standard errors.
    """
    import numpy as np

    model = fit.spec.model(values, fit.initialization)
    result = model.smooth(np.array([fit.params[name] for name in model.param_names]))
    prediction = result.get_prediction(start=len(values), end=len(values) + horizon - 1)
    mean = np.asarray(prediction.predicted_mean, dtype=float)
    se = np.sqrt(np.maximum(np.asarray(prediction.var_pred_mean, dtype=float), 0.0))
    return mean, se
