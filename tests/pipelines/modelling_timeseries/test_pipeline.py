"""The modelling_timeseries pipeline, run whole with SequentialRunner on an in-memory catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.forecasting.fitted import FittedModel
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.pipelines.modelling_timeseries import create_pipeline
from timeseries_cases import OUTPUTS, columns, fast_params, quarterly, run_pipeline, summary_for


def _good() -> pd.DataFrame:
    return pd.concat(
        [quarterly("alpha", seed=1), quarterly("beta", n=36, seed=2, level=500.0)],
        ignore_index=True,
    )


def _run(
    table: pd.DataFrame,
    params: ModellingTimeseriesParams,
    names: TimeSeriesParams | None = None,
    summary: dict | None = None,
) -> dict:
    return run_pipeline(table, params, names, summary)


@pytest.fixture(scope="module")
def outputs() -> dict:
    return _run(_good(), fast_params())


def test_pipeline_reads_the_clean_series_and_writes_the_contract() -> None:
    pipeline = create_pipeline()
    assert pipeline.inputs() == {
        "timeseries_clean",
        "timeseries_summary",
        "params:preprocessing.timeseries",
        "params:modelling_timeseries",
        "params:random_state",
    }
    assert pipeline.all_outputs() >= OUTPUTS
    # the rest feed later nodes: stationarity, backtest errors and metrics, leaderboard
    assert pipeline.outputs() == {
        "ts_decomposition",
        "ts_forecasts",
        "ts_models",
        "ts_model_summary",
        "ts_failures",
        "ts_series_status",
    }


def test_outputs_have_the_contract_columns(outputs: dict) -> None:
    expected = {
        "ts_stationarity": ["series_id", "adf_stat", "adf_pvalue", "kpss_stat", "kpss_pvalue",
                            "trend_strength", "seasonal_strength", "d", "D", "season_length"],
        "ts_decomposition": ["series_id", "timestamp", "observed", "trend", "seasonal", "resid"],
        "ts_backtest_metrics": ["series_id", "model", "members", "fold", "cutoff", "mae", "rmse",
                                "mape", "smape", "mase"],
        "ts_backtest_errors": ["series_id", "model", "fold", "step", "timestamp", "actual",
                               "forecast", "lower_80", "upper_80", "lower_95", "upper_95"],
        "ts_leaderboard": ["series_id", "model", "members", "mae", "rmse", "mape", "smape", "mase",
                           "rank", "best"],
        "ts_series_status": ["series_id", "frequency", "season_length", "n_points", "horizon",
                             "backtest_horizon", "folds", "mode", "note"],
        "ts_forecasts": ["series_id", "timestamp", "model", "forecast", "lower_80", "upper_80",
                         "lower_95", "upper_95"],
    }  # fmt: skip
    for name, columns_ in expected.items():
        frame = outputs[name]
        assert set(columns_) <= set(frame.columns), name
        assert list(frame.columns)[: len(columns_)] == columns_ or name == "ts_leaderboard"


def test_every_model_is_backtested_on_every_fold_and_step(outputs: dict) -> None:
    errors = outputs["ts_backtest_errors"]
    counts = errors.groupby(["series_id", "model"]).size()
    models = {*fast_params().models, "combination"}
    assert set(counts.index.get_level_values("model")) == models
    assert (counts == 2 * 4).all()  # 2 folds x 4 steps
    assert errors["step"].between(1, 4).all()
    metrics = outputs["ts_backtest_metrics"]
    assert len(metrics) == 2 * 7 * 2  # series x models (the combination included) x folds
    combined = metrics.loc[metrics["model"] == "combination", "members"]
    assert combined.eq("arima+ets").all() and metrics["members"].notna().sum() == len(combined)


def test_the_combination_is_the_mean_of_its_members_in_backtest_and_forecast(
    outputs: dict,
) -> None:
    errors = outputs["ts_backtest_errors"].set_index(["series_id", "model", "fold", "step"])
    combined = errors.xs("combination", level="model")["forecast"]
    members = (
        errors.xs("arima", level="model")["forecast"] + errors.xs("ets", level="model")["forecast"]
    ) / 2
    pd.testing.assert_series_equal(combined, members, check_names=False)
    for column in ("lower_80", "upper_95"):  # the bounds too, before calibration
        pd.testing.assert_series_equal(
            errors.xs("combination", level="model")[column],
            (errors.xs("arima", level="model")[column] + errors.xs("ets", level="model")[column])
            / 2,
            check_names=False,
        )
    forecasts = outputs["ts_forecasts"].set_index(["series_id", "model", "timestamp"])
    # the bounds are then rescaled per model (intervals.py, tested in test_intervals.py)
    mean = (
        forecasts.xs("arima", level="model")["forecast"]
        + forecasts.xs("ets", level="model")["forecast"]
    ) / 2
    assert forecasts.xs("combination", level="model")["forecast"].to_numpy() == pytest.approx(
        mean.to_numpy()
    )


def test_forecasts_cover_every_series_model_and_step_with_nested_intervals(outputs: dict) -> None:
    forecasts = outputs["ts_forecasts"]
    assert forecasts.groupby(["series_id", "model"]).size().eq(4).all()
    assert forecasts.groupby("series_id")["model"].nunique().eq(7).all()
    ordered = forecasts[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]]
    assert (ordered.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    alpha = forecasts.loc[forecasts["series_id"] == "alpha", "timestamp"].unique()
    assert list(alpha) == list(pd.date_range("2010-01-01", periods=4, freq="QS"))


def test_best_model_agrees_across_leaderboard_forecasts_models_and_summary(outputs: dict) -> None:
    board = outputs["ts_leaderboard"]
    best = board.loc[board["best"] & (board["series_id"] != "__overall__")]
    chosen = dict(zip(best["series_id"], best["model"], strict=True))
    assert sorted(chosen) == ["alpha", "beta"]
    flagged = outputs["ts_forecasts"].loc[lambda f: f["best"]]
    assert flagged.groupby("series_id")["model"].first().to_dict() == chosen
    for series_id, model in chosen.items():
        fitted = outputs["ts_models"][series_id]
        assert isinstance(fitted, FittedModel) and fitted.model == model
        assert outputs["ts_model_summary"][series_id]["model"] == model
        again = fitted.forecast(4)
        saved = flagged.loc[flagged["series_id"] == series_id]
        assert again["forecast"].to_numpy() == pytest.approx(saved["forecast"].to_numpy())
        assert again["upper_95"].to_numpy() == pytest.approx(saved["upper_95"].to_numpy())


def test_model_summary_records_orders_parameters_and_criteria(outputs: dict) -> None:
    for entry in outputs["ts_model_summary"].values():
        arima = entry["models"]["arima"]
        assert len(arima["order"]) == 3 and len(arima["seasonal_order"]) == 4
        assert arima["seasonal_order"][3] == 4
        assert "sigma2" in arima["params"]
        criteria = arima["information_criteria"]
        assert criteria["aicc"] >= criteria["aic"]
        assert arima["transform"] == {"method": "none", "lambda": None}
        assert entry["selection_metric"] == "mase"


def test_results_do_not_depend_on_n_jobs_or_chunking(outputs: dict) -> None:
    parallel = _run(_good(), fast_params(n_jobs=2, chunk_size=1, min_series_for_workers=1))
    for name in OUTPUTS - {"ts_models"}:
        if isinstance(outputs[name], pd.DataFrame):
            pd.testing.assert_frame_equal(parallel[name], outputs[name], check_exact=True)
        else:
            assert parallel[name] == outputs[name], name
    for series_id, fitted in outputs["ts_models"].items():
        assert parallel["ts_models"][series_id].forecast(4).equals(fitted.forecast(4))


def test_bad_and_short_series_are_reported_and_leave_the_others_untouched(
    outputs: dict,
) -> None:
    bad = pd.concat(
        [
            quarterly("flat").assign(value=7.0),
            quarterly("short", n=9),
            quarterly("repeated").iloc[[0, 1, 1, 2, 3]],
        ]
    )
    mixed = _run(pd.concat([_good(), bad], ignore_index=True), fast_params())

    failures = {item["series_id"]: item for item in mixed["ts_failures"]}
    assert sorted(failures) == ["repeated"]  # only a series with nothing usable fails
    assert "duplicated timestamp" in failures["repeated"]["reason"]
    status = mixed["ts_series_status"].set_index("series_id")
    assert status.loc[["flat", "short", "repeated"], "mode"].tolist() == [
        "baselines_only", "baselines_only", "failed",
    ]  # fmt: skip
    delivered = mixed["ts_forecasts"].loc[lambda f: f["best"]]
    chosen = delivered.groupby("series_id")["model"].first().to_dict()
    assert chosen["flat"] == "seasonal_naive" and chosen["short"] == "seasonal_naive"
    flat = delivered.loc[delivered["series_id"] == "flat"]
    assert flat["forecast"].eq(7.0).all() and flat["upper_95"].eq(7.0).all()
    short = delivered.loc[delivered["series_id"] == "short", "forecast"].to_numpy()
    assert short.tolist() == quarterly("short", n=9)["value"].iloc[-4:].tolist()
    for name in ("ts_backtest_errors", "ts_leaderboard", "ts_stationarity"):
        pd.testing.assert_frame_equal(mixed[name], outputs[name], check_exact=True)
    good = mixed["ts_forecasts"].loc[lambda f: f["series_id"].isin(["alpha", "beta"])]
    pd.testing.assert_frame_equal(
        good.reset_index(drop=True), outputs["ts_forecasts"], check_exact=True
    )
    assert outputs["ts_failures"] == []


def test_outputs_use_the_configured_column_names() -> None:
    table = _good().rename(columns={"series_id": "store", "timestamp": "week", "value": "sales"})
    names = columns(id_column="store", time_column="week", value_column="sales")
    renamed = _run(table, fast_params(models=["naive", "seasonal_naive"]), names)

    assert {"store", "week"} <= set(renamed["ts_forecasts"].columns)
    assert "series_id" not in renamed["ts_backtest_errors"].columns
    assert {"store", "week"} <= set(renamed["ts_decomposition"].columns)
    assert "store" in renamed["ts_leaderboard"].columns
    assert renamed["ts_leaderboard"]["store"].iloc[-1] == "__overall__"


def test_a_model_failing_on_one_series_is_dropped_there_only() -> None:
    # fixed seasonal orders on a non-seasonal series cannot be fitted: arima fails for "yearly"
    yearly = pd.DataFrame(
        {
            "series_id": "yearly",
            "timestamp": pd.date_range("1990-01-01", periods=30, freq="YS"),
            "value": [float(v) for v in range(30)],
        }
    )
    table = pd.concat([quarterly("alpha", seed=1), yearly], ignore_index=True)
    summary = {
        **summary_for(quarterly("alpha")),
        "yearly": {"frequency": "YS-JAN", "season_length": 1},
    }
    params = fast_params(
        models=["arima", "naive"],
        arima={"method": "fixed", "fixed": {"order": [0, 1, 1], "seasonal_order": [0, 1, 1]}},
    )
    result = _run(table, params, summary=summary)

    failures = [item for item in result["ts_failures"] if item["series_id"] == "yearly"]
    assert {item["stage"] for item in failures} == {"backtest", "refit"}
    assert all(item["model"] == "arima" for item in failures)
    assert "season length 1" in failures[0]["reason"]
    models = result["ts_leaderboard"].groupby("series_id")["model"].apply(set).to_dict()
    assert models["yearly"] == {"naive"}
    assert models["alpha"] == {"arima", "naive"}
    assert (
        result["ts_model_summary"]["alpha"]["models"]["arima"]["label"] == "ARIMA(0,1,1)(0,1,1)[4]"
    )


def test_a_crash_in_one_series_stationarity_is_recorded_and_its_baselines_still_forecast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from roadmap_pipelines.ml.forecasting import stationarity

    real = stationarity.assess_series

    def broken_for_beta(series, params):
        if series.series_id == "beta":
            raise np.linalg.LinAlgError("SVD did not converge")
        return real(series, params)

    monkeypatch.setattr(stationarity, "assess_series", broken_for_beta)
    result = _run(_good(), fast_params(models=["arima", "naive"]))

    records = [
        (item["series_id"], item["stage"], item["model"], item["reason"])
        for item in result["ts_failures"]
    ]
    assert records[0] == ("beta", "stationarity", None, "LinAlgError: SVD did not converge")
    assert (
        "beta",
        "refit",
        "arima",
        "no stationarity result to take d and D from (see its stationarity failure)",
    ) in records
    # if SARIMA won beta's backtest, the fallback to the next-ranked model is recorded too
    assert {record[:3] for record in records} <= {
        ("beta", "stationarity", None),
        ("beta", "refit", "arima"),
    }
    assert result["ts_stationarity"]["series_id"].tolist() == ["alpha"]
    forecasts = result["ts_forecasts"]
    assert forecasts.loc[forecasts["series_id"] == "beta", "model"].unique().tolist() == ["naive"]
    assert set(forecasts.loc[forecasts["series_id"] == "alpha", "model"]) == {"arima", "naive"}


def test_theta_is_backtested_joins_the_combination_and_its_saved_model_forecasts_the_same() -> None:
    params = fast_params(
        models=["arima", "theta", "naive"],
        selection={"candidates": ["arima", "theta"], "max_ratio": 100.0},
    )
    out = _run(_good(), params)

    board = out["ts_leaderboard"]
    combined = board.loc[(board["model"] == "combination") & (board["series_id"] != "__overall__")]
    assert set(combined["members"]) == {"arima+theta"}
    assert set(board.loc[board["best"] & (board["series_id"] != "__overall__"), "model"]) == {
        "combination"
    }
    assert len(out["ts_backtest_metrics"].query("model == 'theta'")) == 2 * 2  # series x folds
    flagged = out["ts_forecasts"].loc[lambda f: f["best"]]
    for series_id in ("alpha", "beta"):
        fitted = out["ts_models"][series_id]
        assert fitted.members == ("arima", "theta") and fitted.theta is not None
        saved = flagged.loc[flagged["series_id"] == series_id]
        assert fitted.forecast(4)["forecast"].to_numpy() == pytest.approx(
            saved["forecast"].to_numpy()
        )
        assert out["ts_model_summary"][series_id]["models"]["theta"]["label"] == "Theta"
