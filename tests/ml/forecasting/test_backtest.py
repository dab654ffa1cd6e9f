"""Backtest errors, metrics and the leaderboard against values worked out by hand.

An annual series (season length 1) of 14 points, two folds of two steps every two points:
fold 1 trains on 10 points, fold 2 on 12.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from roadmap_pipelines.pipelines.modelling_timeseries.nodes import (
    backtest_models,
    prepare_series,
    rank_models,
)
from timeseries_cases import columns, fast_params

VALUES = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 15.0, 14.0, 16.0, 18.0, 17.0, 20.0, 19.0]


@pytest.fixture(scope="module")
def backtest() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame(
        {
            "series_id": "tiny",
            "timestamp": pd.date_range("2000-01-01", periods=len(VALUES), freq="YS"),
            "value": VALUES,
        }
    )
    summary = {"tiny": {"frequency": "YS-JAN", "season_length": 1}}
    params = fast_params(
        models=["naive", "drift"], backtest={"folds": 2, "horizon": 2, "step": 2}, horizon=2
    )
    prepared, _, _ = prepare_series(table, summary, columns(), params)
    errors, metrics, failures = backtest_models(prepared, columns(), params, 42)
    assert failures == []
    return errors, metrics, rank_models(metrics, columns(), params)


def test_errors_hold_each_fold_step_actual_and_forecast(backtest) -> None:
    errors = backtest[0]
    naive = errors.loc[errors["model"] == "naive"]
    assert naive[["fold", "step", "actual", "forecast"]].values.tolist() == [
        [1, 1, 18.0, 16.0],
        [1, 2, 17.0, 16.0],
        [2, 1, 20.0, 17.0],
        [2, 2, 19.0, 17.0],
    ]
    assert naive["timestamp"].dt.year.tolist() == [2010, 2011, 2012, 2013]
    drift = errors.loc[(errors["model"] == "drift") & (errors["fold"] == 1), "forecast"]
    assert drift.tolist() == pytest.approx([16 + 6 / 9, 16 + 12 / 9])  # (16 - 10) / 9 a year


def test_metrics_match_hand_computed_values(backtest) -> None:
    metrics = backtest[1].set_index(["model", "fold"])
    fold1, fold2 = metrics.loc[("naive", 1)], metrics.loc[("naive", 2)]
    # fold 1: errors 2, 1; in-sample naive errors of the first 10 points sum to 14 over 9
    assert fold1["mae"] == pytest.approx(1.5)
    assert fold1["rmse"] == pytest.approx(math.sqrt(2.5))
    assert fold1["mape"] == pytest.approx(100 * (2 / 18 + 1 / 17) / 2)
    assert fold1["smape"] == pytest.approx(100 * (4 / 34 + 2 / 33) / 2)
    assert fold1["mase"] == pytest.approx(1.5 / (14 / 9))
    assert fold1["cutoff"] == pd.Timestamp("2009-01-01")
    # fold 2: errors 3, 2; the first 12 points add |18-16| + |17-18|: 17 over 11
    assert fold2["mae"] == pytest.approx(2.5)
    assert fold2["rmse"] == pytest.approx(math.sqrt(6.5))
    assert fold2["mape"] == pytest.approx(100 * (3 / 20 + 2 / 19) / 2)
    assert fold2["smape"] == pytest.approx(100 * (6 / 37 + 4 / 36) / 2)
    assert fold2["mase"] == pytest.approx(2.5 / (17 / 11))


def test_leaderboard_averages_folds_and_ranks_by_mase(backtest) -> None:
    metrics, board = backtest[1], backtest[2]
    tiny = board.loc[board["series_id"] == "tiny"].set_index("model")
    for model in ("naive", "drift"):
        folds = metrics.loc[metrics["model"] == model]
        assert tiny.loc[model, "mase"] == pytest.approx(folds["mase"].mean())
        assert tiny.loc[model, "rmse"] == pytest.approx(folds["rmse"].mean())
    winner = tiny["mase"].idxmin()
    assert tiny.loc[winner, "rank"] == 1 and tiny.loc[winner, "best"]
    assert tiny["best"].sum() == 1
    overall = board.loc[board["series_id"] == "__overall__"].set_index("model")
    assert overall["mase"].to_dict() == pytest.approx(tiny["mase"].to_dict())
    assert overall["n_series"].tolist() == [1, 1]
    assert list(board.columns) == [
        "series_id", "model", "members", "mae", "rmse", "mape", "smape", "mase", "n_series",
        "rank", "best",
    ]  # fmt: skip


def test_leaderboard_ties_follow_the_configured_model_order() -> None:
    from roadmap_pipelines.ml.forecasting.backtest import leaderboard

    metrics = pd.DataFrame(
        {
            "series_id": ["s", "s", "s"],
            "model": ["naive", "drift", "arima"],
            "members": None,
            "fold": [1, 1, 1],
            "cutoff": pd.Timestamp("2000-01-01"),
            **{name: [1.0, 1.0, float("nan")] for name in ("mae", "rmse", "mape", "smape")},
            "mase": [1.0, 1.0, float("nan")],
        }
    )
    board = leaderboard(metrics, fast_params(models=["drift", "naive", "arima"]))
    ranked = board.loc[board["series_id"] == "s"].sort_values("rank")["model"].tolist()
    assert ranked == ["drift", "naive", "arima"]  # tie: configured order; NaN: last
