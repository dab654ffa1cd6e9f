"""End-to-end: the default ``kedro run`` on the shipped data, in a real session on a copy."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import joblib
import pandas as pd
import pytest
import yaml

from project_runs import output_digests, run_session

SHIPPED = [
    "air_passengers",
    "johnson_johnson_eps",
    "nottingham_temperature",
    "uk_driver_deaths",
    "uk_gas",
    "us_accidental_deaths",
]
CONTRACT = {
    "04_feature/timeseries_stationarity.parquet": [
        "series_id", "adf_stat", "adf_pvalue", "kpss_stat", "kpss_pvalue", "trend_strength",
        "seasonal_strength", "d", "D", "season_length",
    ],
    "04_feature/timeseries_decomposition.parquet": [
        "series_id", "timestamp", "observed", "trend", "seasonal", "resid",
    ],
    "07_model_output/timeseries_backtest_metrics.parquet": [
        "series_id", "model", "members", "fold", "cutoff", "mae", "rmse", "mape", "smape",
        "mase",
    ],
    "07_model_output/timeseries_backtest_errors.parquet": [
        "series_id", "model", "fold", "step", "timestamp", "actual", "forecast", "lower_80",
        "upper_80", "lower_95", "upper_95",
    ],
    "07_model_output/timeseries_leaderboard.parquet": [
        "series_id", "model", "members", "mae", "rmse", "mape", "smape", "mase", "rank",
        "best",
    ],
    "07_model_output/timeseries_forecasts.parquet": [
        "series_id", "timestamp", "model", "forecast", "lower_80", "upper_80", "lower_95",
        "upper_95",
    ],
}  # fmt: skip
MODELS = ["arima", "combination", "drift", "ets", "naive", "seasonal_naive"]
QUARTERLY = {"johnson_johnson_eps", "uk_gas"}  # frequencies.QS: horizon 8


def _read(project: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(project / "data" / name)


def test_every_output_exists_with_the_contract_columns(default_run: Path) -> None:
    for name, columns in CONTRACT.items():
        frame = _read(default_run, name)
        assert set(columns) <= set(frame.columns), name
        assert sorted(frame["series_id"].unique()) == sorted(
            SHIPPED + (["__overall__"] if "leaderboard" in name else [])
        ), name
    for name in ("06_models/timeseries_models.pkl", "06_models/timeseries_model_summary.json"):
        assert (default_run / "data" / name).is_file()
    failures = json.loads((default_run / "data/08_reporting/timeseries_failures.json").read_text())
    assert failures == []


def test_every_shipped_series_gets_a_best_forecast_with_nested_intervals(default_run: Path) -> None:
    forecasts = _read(default_run, "07_model_output/timeseries_forecasts.parquet")
    best = forecasts.loc[forecasts["best"]]

    assert best.groupby("series_id").size().to_dict() == {
        series_id: 8 if series_id in QUARTERLY else 12 for series_id in SHIPPED
    }
    board = _read(default_run, "07_model_output/timeseries_leaderboard.parquet")
    # selection.method: combination: the series' combination if it has one, else its rank 1
    per_series = board.loc[board["series_id"] != "__overall__"].sort_values("rank")
    expected = {
        series_id: "combination" if "combination" in set(rows["model"]) else rows["model"].iloc[0]
        for series_id, rows in per_series.groupby("series_id")
    }
    assert best.groupby("series_id")["model"].first().to_dict() == expected
    assert (best.groupby("series_id")["model"].nunique() == 1).all()
    models = forecasts.groupby("series_id")["model"].unique()
    # a combination only where SARIMA and ETS were within selection.max_ratio (1.25) of each
    # other in the backtest: on air_passengers and us_accidental_deaths ETS was further ahead
    combined = {series_id for series_id, name in expected.items() if name == "combination"}
    assert combined == set(SHIPPED) - {"air_passengers", "us_accidental_deaths"}
    assert {series_id: sorted(names) for series_id, names in models.items()} == {
        series_id: [name for name in MODELS if name != "combination" or series_id in combined]
        for series_id in SHIPPED
    }
    bounds = forecasts[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]]
    assert (bounds.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    air = best.loc[best["series_id"] == "air_passengers", "timestamp"]
    assert list(air) == list(pd.date_range("1961-01-01", periods=12, freq="MS"))
    gas = best.loc[best["series_id"] == "uk_gas", "timestamp"]
    assert list(gas) == list(pd.date_range("1987-01-01", periods=8, freq="QS"))


def test_saved_models_forecast_what_was_saved(default_run: Path) -> None:
    models = joblib.load(default_run / "data/06_models/timeseries_models.pkl")
    forecasts = _read(default_run, "07_model_output/timeseries_forecasts.parquet")
    summary = json.loads((default_run / "data/06_models/timeseries_model_summary.json").read_text())

    assert sorted(models) == SHIPPED
    for series_id, model in models.items():
        saved = forecasts.loc[forecasts["best"] & (forecasts["series_id"] == series_id)]
        again = model.forecast(len(saved))
        assert model.model == summary[series_id]["model"] == saved["model"].iloc[0]
        for column in ("forecast", "lower_80", "upper_95"):
            assert again[column].to_numpy() == pytest.approx(saved[column].to_numpy(), rel=1e-9)


def test_shipped_series_get_the_textbook_models(default_run: Path) -> None:
    summary = json.loads((default_run / "data/06_models/timeseries_model_summary.json").read_text())
    # R: auto.arima(log(AirPassengers)) and auto.arima(USAccDeaths) choose the airline model
    air = summary["air_passengers"]["models"]["arima"]
    assert air["label"] == "ARIMA(0,1,1)(0,1,1)[12]"
    assert air["transform"] == {"method": "log", "lambda": 0.0}
    assert air["params"]["ma.L1"] == pytest.approx(-0.4018, abs=5e-4)
    deaths = summary["us_accidental_deaths"]["models"]["arima"]
    assert deaths["label"] == "ARIMA(0,1,1)(0,1,1)[12]"
    stationarity = _read(default_run, "04_feature/timeseries_stationarity.parquet")
    row = stationarity.set_index("series_id").loc["air_passengers"]
    assert (row["d"], row["D"], row["season_length"]) == (1, 1, 12)
    assert air["order"][1] == row["d"] and air["seasonal_order"][1] == row["D"]


def test_sarima_beats_the_seasonal_naive_baseline_overall(default_run: Path) -> None:
    board = _read(default_run, "07_model_output/timeseries_leaderboard.parquet")
    overall = board.loc[board["series_id"] == "__overall__"].set_index("model")
    assert overall.loc["arima", "mase"] < overall.loc["seasonal_naive", "mase"]
    # every model covers every series; the combination those whose members were close
    assert overall["n_series"].to_dict() == {
        **dict.fromkeys(MODELS, len(SHIPPED)),
        "combination": len(SHIPPED) - 2,
    }
    per_series = board.loc[board["series_id"] != "__overall__"]
    assert per_series.groupby("series_id")["best"].sum().eq(1).all()


def test_a_constant_series_gets_a_baseline_and_the_others_are_untouched(
    rewrite_raw: Callable, completed_project: Path
) -> None:
    def flatten_uk_gas(data: pd.DataFrame) -> pd.DataFrame:
        data.loc[data["series_id"] == "uk_gas", "value"] = 100.0
        return data

    project = rewrite_raw("timeseries.csv", flatten_uk_gas)
    run_session(project, pipelines=["preprocessing", "modelling_timeseries"])

    failures = json.loads((project / "data/08_reporting/timeseries_failures.json").read_text())
    assert failures == []
    status = _read(project, "08_reporting/timeseries_series_status.parquet").set_index("series_id")
    assert status.loc["uk_gas", "mode"] == "baselines_only"
    assert status.loc["uk_gas", "note"].endswith("constant (every value is 100)")
    forecasts = _read(project, "07_model_output/timeseries_forecasts.parquet")
    assert sorted(forecasts["series_id"].unique()) == SHIPPED
    gas = forecasts.loc[forecasts["best"] & (forecasts["series_id"] == "uk_gas")]
    assert set(gas["model"]) == {"seasonal_naive"} and gas["forecast"].eq(100.0).all()


def test_bad_modelling_parameters_stop_the_run_before_any_node(
    completed_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kedro.validation import ParameterValidationError

    path = completed_project / "conf/base/parameters_modelling_timeseries.yml"
    params = yaml.safe_load(path.read_text())
    params["modelling_timeseries"]["arima"]["start_p"] = 7
    path.write_text(yaml.safe_dump(params))
    before = output_digests(completed_project)

    with pytest.raises(ParameterValidationError) as raised:
        run_session(completed_project)

    message = str(raised.value)
    assert "parameters_modelling_timeseries.yml: modelling_timeseries" in message
    assert "start_p (7) is greater than max_p (5)" in message
    assert output_digests(completed_project) == before
    assert " node " not in caplog.text
