"""Automatic SARIMA order selection: a stepwise or exhaustive search over valid orders.

The search follows Hyndman & Khandakar (2008), the algorithm behind R's ``auto.arima``:
``d`` and ``D`` are fixed first (``stationarity.py``), then a stepwise walk over
``(p, q, P, Q, constant)`` moves to the first neighbour that lowers the information criterion
until none does. How candidates are screened is in ``arima_css.py``, how they are fitted
by exact maximum likelihood in ``arima.py``; ``fit_fixed`` fits configured orders instead.

Orders whose ordinary and seasonal AR (or MA) lags coincide, e.g. ``p >= m`` with ``P >= 1``
(statsmodels refuses them: "autoregressive lag(s) {4} are in both ..."), are never proposed.
Any candidate that still fails, model construction included, is recorded in the fit's
``search.failed`` and skipped; the search goes on with the others.

A constant (``d + D = 0``) or drift (``d + D = 1``) term is a candidate only while
``d + D <= 1``, as in ``auto.arima``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from roadmap_pipelines.ml.forecasting import arima, arima_css
from roadmap_pipelines.ml.forecasting.arima import ArimaFit, Orders
from roadmap_pipelines.ml.forecasting.arima_css import Candidate
from roadmap_pipelines.params.modelling_timeseries import ArimaParams

if TYPE_CHECKING:
    import numpy as np

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


class _Search:
    """The candidates scored so far for one series with fixed ``d`` and ``D``."""

    def __init__(
        self,
        values: np.ndarray,
        d: int,
        seasonal_d: int,
        m: int,
        settings: ArimaParams,
        previous: ArimaFit | None = None,
    ):
        self.values, self.d, self.seasonal_d, self.m = values, d, seasonal_d, m
        self.previous = previous
        self.settings = settings
        self.criterion = settings.information_criterion
        self.w = arima.difference(values, d, seasonal_d, m)
        self.constant_allowed = settings.allow_constant and d + seasonal_d <= 1
        self.scored: dict[Orders, Candidate] = {}
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
                self.scored[orders] = Candidate(orders, math.inf, None)
        return self.scored[orders].ic

    def _scored(self, orders: Orders) -> Candidate:
        candidate = arima_css.css_candidate(self.w, orders, self.criterion)
        if self.settings.approximation and candidate.coefficients is not None:
            ic = arima.exact_criterion(self.values, orders, candidate.coefficients, self.criterion)
            candidate = replace(candidate, ic=ic)
        if not self.settings.approximation:
            fit = arima.fit_exact(self.values, orders, self.start(candidate), self.settings.maxiter)
            self.exact[orders] = fit
            ic = fit.criterion(self.criterion) if fit else math.inf
            candidate = replace(candidate, ic=ic)
        return candidate

    def start(self, candidate: Candidate) -> np.ndarray | None:
        """Exact-fit start: the previous origin's estimates for its orders, else CSS's."""
        return arima.previous_estimates(self.previous, candidate.orders, candidate.coefficients)

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
                fit = arima.fit_exact(
                    self.values, candidate.orders, self.start(candidate), self.settings.maxiter
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
    values: np.ndarray,
    m: int,
    d: int,
    seasonal_d: int,
    settings: ArimaParams,
    previous: ArimaFit | None = None,
) -> ArimaFit:
    """Choose ``(p, q, P, Q, constant)`` for fixed ``d`` and ``D`` and fit the winner.

    Args:
        values: The series on the modelling scale.
        m: Season length (1: non-seasonal).
        d: Ordinary differences.
        seasonal_d: Seasonal differences.
        settings: ``modelling_timeseries.arima`` parameters.
        previous: The fit at the previous backtest origin (a warm start): if the search
            refits its orders by exact likelihood, it starts from its estimates. The
            candidates and their screening are the same, so is the choice in practice.

    Returns:
        The exact maximum-likelihood fit of the chosen orders.

    Raises:
        ValueError: If no candidate could be fitted.
    """
    search = _Search(values, d, seasonal_d if m > 1 else 0, m, settings, previous)
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


def fit_fixed(
    values: np.ndarray, orders: Orders, maxiter: int, previous: ArimaFit | None = None
) -> ArimaFit:
    """Fit the configured orders by exact maximum likelihood (no root check).

    ``previous`` (the fit at the previous backtest origin) gives the start parameters.

    Raises:
        ValueError: If the fit fails.
    """
    start = arima.previous_estimates(previous, orders, None)
    if start is None:
        w = arima.difference(values, orders.d, orders.D, orders.m)
        start = arima_css.css_candidate(w, orders, "aicc").coefficients
    fit = arima.fit_exact(values, orders, start, maxiter, check_roots=False)
    if fit is None:
        raise ValueError(f"{orders.label()} could not be fitted to {len(values)} points")
    return replace(fit, models_tried=1, search="fixed")
