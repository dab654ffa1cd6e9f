"""Exponential smoothing against R's ``forecast::ets`` on a published data set.

``austourists`` (fpp2, Hyndman & Athanasopoulos: quarterly international tourist nights in
Australia, 1999-2015, millions) and R's fits of it, as statsmodels' own test suite records
them (statsmodels/tsa/tests/results/fit_ets.R, forecast 8.x):

* ``ets(austourists, "AAA", damped = TRUE)``: alpha 0.35445427, beta 0.03200749,
  gamma 0.39993387, phi 0.98, initial states l 24.01278357, b 0.97770147, s 1.76951063,
  -0.50735902, -6.61171798, 5.34956637; loglik -200.02361522 (R's concentrated form);
  forecasts 76.07768073, 51.61741109, 63.96457729, 68.27886241;
* ``ets(austourists, "AAA", damped = FALSE)``: loglik -201.27311461.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from roadmap_pipelines.ml.forecasting import ets

AUSTOURISTS = np.array([
    30.05251300, 19.14849600, 25.31769200, 27.59143700, 32.07645600, 23.48796100, 28.47594000,
    35.12375300, 36.83848500, 25.00701700, 30.72223000, 28.69375900, 36.64098600, 23.82460900,
    29.31168300, 31.77030900, 35.17787700, 19.77524400, 29.60175000, 34.53884200, 41.27359900,
    26.65586200, 28.27985900, 35.19115300, 42.20566386, 24.64917133, 32.66733514, 37.25735401,
    45.24246027, 29.35048127, 36.34420728, 41.78208136, 49.27659843, 31.27540139, 37.85062549,
    38.83704413, 51.23690034, 31.83855162, 41.32342126, 42.79900337, 55.70835836, 33.40714492,
    42.31663797, 45.15712257, 59.57607996, 34.83733016, 44.84168072, 46.97124960, 60.01903094,
    38.37117851, 46.97586413, 50.73379646, 61.64687319, 39.29956937, 52.67120908, 54.33231689,
    66.83435838, 40.87118847, 51.82853579, 57.49190993, 65.25146985, 43.06120822, 54.76075713,
    59.83447494, 73.25702747, 47.69662373, 61.09776802, 66.05576122,
])  # fmt: skip
DAMPED = ets.EtsSpec(trend=True, damped=True, seasonal=True, m=4)
R_DAMPED_PARAMS = [
    0.35445427, 0.03200749, 0.39993387, 0.97999997,  # alpha, beta, gamma, phi
    24.01278357, 0.97770147, 1.76951063, -0.50735902, -6.61171798, 5.34956637,  # l, b, s
]  # fmt: skip
R_DAMPED_FORECAST = [76.07768073, 51.61741109, 63.96457729, 68.27886241]


def _r_loglik(concentrated: float, n: int) -> float:
    """R's ets reports the likelihood without its constant; statsmodels' test adds it back."""
    return concentrated - n / 2 * (math.log(2 * math.pi / n) + 1)


def test_forecast_with_rs_parameters_matches_r() -> None:
    names = DAMPED.model(AUSTOURISTS, "estimated").param_names
    fit = ets.EtsFit(DAMPED, "estimated", dict(zip(names, R_DAMPED_PARAMS, strict=True)),
                     0.0, 0.0, 0.0, 0.0, len(AUSTOURISTS))  # fmt: skip
    mean, se = ets.forecast(AUSTOURISTS, fit, 4)
    assert mean == pytest.approx(R_DAMPED_FORECAST, rel=1e-6)
    assert np.all(np.diff(se) >= 0) and se[0] > 0


@pytest.mark.parametrize(
    ("damped", "r_concentrated", "tolerance"),
    [(True, -200.02361522, 0.5), (False, -201.27311461, 5.0)],
)
def test_maximum_likelihood_fit_is_at_least_as_good_as_rs(
    damped: bool, r_concentrated: float, tolerance: float
) -> None:
    """At least R's likelihood and close to it: statsmodels' bounds are wider than R's
    "usual" ones (beta < alpha, gamma < 1 - alpha), which hold the undamped fit back in R."""
    spec = ets.EtsSpec(trend=True, damped=damped, seasonal=True, m=4)
    fit = ets.fit_spec(AUSTOURISTS, spec, "estimated", maxiter=1000)
    r_loglik = _r_loglik(r_concentrated, len(AUSTOURISTS))
    assert fit.loglik >= r_loglik - 1e-3  # statsmodels' test_fit_vs_R allows 1e-4 at pgtol 1e-8
    assert fit.loglik == pytest.approx(r_loglik, abs=tolerance)
    # AICc as R defines it: k counts smoothing parameters, initial states and sigma
    k = len(fit.params) + 1
    assert fit.aicc == pytest.approx(
        -2 * fit.loglik + 2 * k + 2 * k * (k + 1) / (len(AUSTOURISTS) - k - 1)
    )


def test_selection_takes_the_lowest_aicc_and_records_every_candidate() -> None:
    fit = ets.select_ets(
        AUSTOURISTS, 4, trends=["none", "additive", "damped"], initialization="estimated"
    )
    assert sorted(fit.candidates) == sorted(
        f"ETS(A,{trend},{season})" for trend in ("N", "A", "Ad") for season in ("N", "A")
    )
    assert fit.aicc == min(fit.candidates.values())
    assert fit.spec.seasonal  # tourist nights are strongly seasonal
    assert fit.summary()["label"] == fit.spec.label()


def test_no_seasonal_candidate_without_two_whole_seasons_or_for_long_seasons() -> None:
    specs = ets.candidate_specs(7, 4, ["none"], seasonal=True, max_season_length=24)
    assert [spec.seasonal for spec in specs] == [False]
    specs = ets.candidate_specs(200, 52, ["none"], seasonal=True, max_season_length=24)
    assert [spec.seasonal for spec in specs] == [False]
    specs = ets.candidate_specs(8, 4, ["none", "damped"], seasonal=True, max_season_length=24)
    assert [(spec.trend, spec.damped, spec.seasonal) for spec in specs] == [
        (False, False, False), (False, False, True), (True, True, False), (True, True, True),
    ]  # fmt: skip


def test_a_failing_candidate_is_recorded_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ets.fit_spec

    def failing(values, spec, initialization, maxiter):
        if spec.damped:
            raise ValueError("no convergence")
        return real(values, spec, initialization, maxiter)

    monkeypatch.setattr(ets, "fit_spec", failing)
    fit = ets.select_ets(AUSTOURISTS, 4, trends=["additive", "damped"])
    assert fit.failed == {
        "ETS(A,Ad,N)": "ValueError: no convergence",
        "ETS(A,Ad,A)": "ValueError: no convergence",
    }
    assert not fit.spec.damped
