"""Issue 17: every series gets a forecast, mixed frequencies run in one go, and the delivered
forecast is at least as accurate on average as the best single method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams
from timeseries_cases import fast_params, quarterly, run_pipeline, summary_for


def _monthly(series_id: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 200 + 0.5 * t + 20 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 2, n))
    return pd.DataFrame(
        {
            "series_id": series_id,
            "timestamp": pd.date_range("2001-01-01", periods=n, freq="MS"),
            "value": values,
        }
    )


def test_a_60_point_monthly_series_with_default_settings_gets_a_forecast() -> None:
    table = _monthly("deaths_like", 60, seed=3)  # USAccDeaths' length: 72 needed for 3 folds

    out = run_pipeline(table, ModellingTimeseriesParams(), summary=summary_for(table, "MS", 12))

    assert out["ts_failures"] == []
    status = out["ts_series_status"].iloc[0]
    assert (status["mode"], status["folds"], status["horizon"]) == ("fewer_folds", 2, 12)
    assert status["note"].startswith("2 fold(s) instead of 3: 60 point(s)")
    delivered = out["ts_forecasts"].loc[lambda f: f["best"]]
    board = out["ts_leaderboard"]
    chosen = board.loc[board["best"] & (board["series_id"] == "deaths_like"), "model"].tolist()
    assert len(delivered) == 12 and set(delivered["model"]) == set(chosen)
    assert delivered["timestamp"].min() == pd.Timestamp("2006-01-01")
    assert np.isfinite(delivered[["forecast", "lower_95", "upper_95"]].to_numpy()).all()
    assert out["ts_model_summary"]["deaths_like"]["folds"] == 2
    assert {"arima", "ets", "seasonal_naive"} <= set(board["model"])  # backtested on 2 folds


def test_a_mixed_monthly_and_quarterly_table_gives_each_series_its_own_horizon() -> None:
    monthly = _monthly("monthly", 72, seed=4)
    table = pd.concat([quarterly("quarterly", n=40), monthly], ignore_index=True)
    summary = {**summary_for(quarterly("quarterly", n=40)), **summary_for(monthly, "MS", 12)}
    params = fast_params(
        frequencies={
            "MS": {"horizon": 12, "backtest": {"horizon": 12, "step": 12}},
            "QS": {"horizon": 6, "backtest": {"horizon": 6, "step": 3}},
        }
    )

    out = run_pipeline(table, params, summary=summary)

    assert out["ts_failures"] == []
    forecasts = out["ts_forecasts"]
    steps = forecasts.groupby(["series_id", "model"]).size().groupby("series_id").unique()
    assert {key: list(value) for key, value in steps.items()} == {
        "monthly": [12], "quarterly": [6],
    }  # fmt: skip
    quarterly_dates = forecasts.loc[forecasts["series_id"] == "quarterly", "timestamp"].unique()
    assert list(quarterly_dates) == list(pd.date_range("2010-01-01", periods=6, freq="QS"))
    errors = out["ts_backtest_errors"].groupby("series_id")["step"].max().to_dict()
    assert errors == {"monthly": 12, "quarterly": 6}
    for series_id, horizon in (("monthly", 12), ("quarterly", 6)):
        assert len(out["ts_models"][series_id].forecast(horizon)) == horizon


def _simulated(index: int) -> pd.DataFrame:
    """Quarterly series of three kinds: damped trend + season, SARIMA-like, noisy drift."""
    rng = np.random.default_rng([17, index])
    n = 48
    t = np.arange(n)
    season = rng.uniform(3, 10) * np.array([1.0, -0.4, 0.7, -1.3])[t % 4]
    kind = index % 3
    if kind == 0:
        trend = 30 * (1 - 0.93**t)
        noise = rng.normal(0, 1.5, n)
    elif kind == 1:
        trend = np.cumsum(rng.normal(0.4, 1.0, n))
        noise = np.convolve(rng.normal(0, 1.0, n + 1), [1.0, 0.5], mode="valid")
    else:
        trend = 0.6 * t
        noise = rng.normal(0, 3.0, n)
    return pd.DataFrame(
        {
            "series_id": f"s{index:02d}",
            "timestamp": pd.date_range("2000-01-01", periods=n, freq="QS"),
            "value": 100 + trend + season + noise,
        }
    )


@pytest.fixture(scope="module")
def simulated_scores() -> pd.DataFrame:
    """Out-of-sample MASE of every model's forecast of the 8 held-out quarters per series."""
    held_out = 8
    series = [_simulated(index) for index in range(9)]
    train = pd.concat([item.iloc[:-held_out] for item in series], ignore_index=True)
    params = fast_params(
        models=["arima", "ets", "naive", "seasonal_naive", "drift"],
        horizon=held_out,
        backtest={"folds": 2, "horizon": held_out, "step": 4},
    )
    forecasts = run_pipeline(train, params)["ts_forecasts"]
    rows = []
    for item in series:
        y = item["value"].to_numpy()
        history, actual = y[:-held_out], y[-held_out:]
        scale = np.mean(np.abs(history[4:] - history[:-4]))
        own = forecasts.loc[forecasts["series_id"] == item["series_id"].iloc[0]]
        for model, points in own.groupby("model"):
            error = np.mean(np.abs(actual - points["forecast"].to_numpy()))
            rows.append(
                {"model": model, "best": bool(points["best"].iloc[0]), "mase": error / scale}
            )
    return pd.DataFrame(rows)


def test_the_delivered_forecast_beats_every_baseline_and_is_a_candidate(
    simulated_scores: pd.DataFrame,
) -> None:
    delivered = simulated_scores.loc[simulated_scores["best"], "mase"]
    by_model = simulated_scores.groupby("model")["mase"].mean()
    assert len(delivered) == 9
    assert delivered.mean() < by_model[["naive", "seasonal_naive", "drift"]].min()
    delivered_models = set(simulated_scores.loc[simulated_scores["best"], "model"])
    assert delivered_models <= {"arima", "ets", "combination"}


def test_the_delivered_forecast_is_never_worse_on_average_than_the_best_single_model(
    simulated_scores: pd.DataFrame,
) -> None:
    delivered = simulated_scores.loc[simulated_scores["best"], "mase"]
    singles = simulated_scores.loc[simulated_scores["model"] != "combination"]
    assert delivered.mean() <= singles.groupby("model")["mase"].mean().min()
