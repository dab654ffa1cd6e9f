"""Input checks and planning: a series with nothing to forecast from is recorded with a clear
reason, a bad table stops the run, and every other series is planned (folds or baselines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.forecasting.series import (
    fold_cutoffs,
    minimum_points,
    plan_folds,
)
from roadmap_pipelines.pipelines.modelling_timeseries.nodes import prepare_series
from timeseries_cases import columns, fast_params, quarterly, summary_for


def _with_bad_series() -> tuple[pd.DataFrame, dict]:
    good = quarterly("good")
    short = quarterly("short", n=1)
    unsorted = quarterly("unsorted")
    unsorted.iloc[[5, 6]] = unsorted.iloc[[6, 5]].to_numpy()
    repeated = pd.concat([quarterly("repeated"), quarterly("repeated").iloc[[7]]])
    empty = quarterly("empty").assign(value=np.nan)
    gap = quarterly("gap")
    gap.loc[3, "value"] = np.nan
    offgrid = quarterly("offgrid")
    offgrid.loc[9, "timestamp"] += pd.Timedelta(days=1)
    unlisted = quarterly("unlisted")
    table = pd.concat(
        [good, short, unsorted, repeated, empty, gap, offgrid, unlisted], ignore_index=True
    )
    summary = summary_for(table)
    del summary["unlisted"]
    return table, summary


EXPECTED = {
    "short": "has 1 point(s); even a naive forecast needs 2",
    "unsorted": "timestamps are not in increasing order: 2001-04-01 comes after 2001-07-01",
    "repeated": "has 1 duplicated timestamp(s), e.g. ['2001-10-01']",
    "empty": "has no value at all",
    "gap": "has 1 missing value(s)",
    "offgrid": "timestamps are not on a regular 'QS' grid",
    "unlisted": "has no entry in timeseries_summary",
}


def test_each_bad_series_is_recorded_with_its_reason_and_the_good_one_kept() -> None:
    table, summary = _with_bad_series()

    prepared, failures, status = prepare_series(table, summary, columns(), fast_params())

    assert list(prepared) == ["good"]
    assert status.set_index("series_id")["mode"].to_dict() == {
        "good": "backtest",
        **dict.fromkeys(EXPECTED, "failed"),
    }
    assert prepared["good"].values.tolist() == quarterly("good")["value"].tolist()
    reasons = {item["series_id"]: item["reason"] for item in failures}
    assert sorted(reasons) == sorted(EXPECTED)
    for series_id, fragment in EXPECTED.items():
        assert reasons[series_id].startswith(f"series '{series_id}' {fragment}")
    assert {item["stage"] for item in failures} == {"input"}


def test_a_short_series_gets_fewer_folds_then_baselines_only_and_says_why() -> None:
    params = fast_params()  # 2 folds of 4 every 4 after 12 points: 20 needed
    settings = params.settings_for("QS")
    assert minimum_points(4, settings) == (12, 12 + 4 + 4)
    assert minimum_points(1, settings) == (10, 18)  # never fewer than 10 training points
    assert plan_folds(20, 4, settings) == ((12, 16), "")
    cutoffs, note = plan_folds(19, 4, settings)
    assert cutoffs == (15,) and note.startswith("1 fold(s) instead of 2: 19 point(s)")
    table = pd.concat(
        [
            quarterly("good"),
            quarterly("short", n=19),
            quarterly("tiny", n=6),
            quarterly("flat").assign(value=5.0),
        ]
    )

    prepared, failures, status = prepare_series(table, summary_for(table), columns(), params)

    assert failures == []
    assert [len(prepared[name].cutoffs) for name in ("good", "short", "tiny", "flat")] == [
        2, 1, 0, 0,
    ]  # fmt: skip
    rows = status.set_index("series_id")
    assert rows["mode"].to_dict() == {
        "flat": "baselines_only", "good": "backtest", "short": "fewer_folds",
        "tiny": "baselines_only",
    }  # fmt: skip
    assert "2 fold(s) of horizon 4 every 4" in rows.loc["short", "note"]
    assert rows.loc["tiny", "note"].startswith("baselines only, no backtest: 6 point(s)")
    assert rows.loc["flat", "note"] == "baselines only, no backtest: constant (every value is 5)"


def test_a_transform_needing_positive_values_falls_back_to_none() -> None:
    table = pd.concat([quarterly("good"), quarterly("dips", level=0.0)])
    params = fast_params(arima={"transform": {"method": "log"}})

    prepared, failures, status = prepare_series(table, summary_for(table), columns(), params)

    assert sorted(prepared) == ["dips", "good"] and failures == []
    note = status.set_index("series_id").loc["dips", "note"]
    assert "arima.transform log replaced by none" in note


def test_settings_follow_each_series_frequency() -> None:
    params = fast_params(
        frequencies={"MS": {"horizon": 12, "season_length": 6, "backtest": {"horizon": 12}}}
    )
    monthly = quarterly("monthly", n=60).assign(
        timestamp=pd.date_range("2000-01-01", periods=60, freq="MS")
    )
    table = pd.concat([quarterly("quarterly"), monthly])
    summary = {**summary_for(quarterly("quarterly")), **summary_for(monthly, "MS", 12)}

    prepared, _, status = prepare_series(table, summary, columns(), params)

    assert (prepared["monthly"].horizon, prepared["monthly"].backtest_horizon) == (12, 12)
    assert prepared["monthly"].season_length == 6  # the frequency's override wins
    assert (prepared["quarterly"].horizon, prepared["quarterly"].season_length) == (4, 4)
    assert status.set_index("series_id")["horizon"].to_dict() == {"monthly": 12, "quarterly": 4}


def test_every_series_failing_stops_the_run() -> None:
    table = quarterly("short", n=1)
    with pytest.raises(InputDataError, match="no series can be modelled: series 'short' has 1"):
        prepare_series(table, summary_for(table), columns(), fast_params())


def test_a_missing_column_stops_the_run_naming_the_parameter() -> None:
    table = quarterly("good").rename(columns={"value": "sales"})
    with pytest.raises(InputDataError, match=r"no column\(s\) \['value'\].*value_column 'value'"):
        prepare_series(table, summary_for(quarterly("good")), columns(), fast_params())


def test_parameters_naming_unknown_series_stop_the_run() -> None:
    params = fast_params(arima={"series": {"nope": {"order": [0, 1, 1]}}})
    table = quarterly("good")
    with pytest.raises(InputDataError, match=r"arima.series names series not in .*\['nope'\]"):
        prepare_series(table, summary_for(table), columns(), params)


def test_configured_columns_must_not_clash_with_output_columns() -> None:
    table = quarterly("good").rename(columns={"series_id": "model"})
    with pytest.raises(InputDataError, match=r"\['model'\] clash"):
        prepare_series(
            table, summary_for(quarterly("good")), columns(id_column="model"), fast_params()
        )


def test_fold_cutoffs_end_at_the_last_point() -> None:
    # 20 points, 3 folds of 2 steps every 3 points: train on 12, 15, 18 points
    assert fold_cutoffs(20, folds=3, horizon=2, step=3) == [12, 15, 18]
