"""Input checks: bad series are recorded with a clear reason, bad tables stop the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.forecasting.series import fold_cutoffs, minimum_points
from roadmap_pipelines.pipelines.modelling_timeseries.nodes import prepare_series
from timeseries_cases import columns, fast_params, quarterly, summary_for


def _with_bad_series() -> tuple[pd.DataFrame, dict]:
    good = quarterly("good")
    short = quarterly("short", n=10)
    unsorted = quarterly("unsorted")
    unsorted.iloc[[5, 6]] = unsorted.iloc[[6, 5]].to_numpy()
    repeated = pd.concat([quarterly("repeated"), quarterly("repeated").iloc[[7]]])
    flat = quarterly("flat").assign(value=5.0)
    empty = quarterly("empty").assign(value=np.nan)
    gap = quarterly("gap")
    gap.loc[3, "value"] = np.nan
    offgrid = quarterly("offgrid")
    offgrid.loc[9, "timestamp"] += pd.Timedelta(days=1)
    unlisted = quarterly("unlisted")
    table = pd.concat(
        [good, short, unsorted, repeated, flat, empty, gap, offgrid, unlisted], ignore_index=True
    )
    summary = summary_for(table)
    del summary["unlisted"]
    return table, summary


EXPECTED = {
    "short": "has 10 point(s); with season length 4 it needs at least 20",
    "unsorted": "timestamps are not in increasing order: 2001-04-01 comes after 2001-07-01",
    "repeated": "has 1 duplicated timestamp(s), e.g. ['2001-10-01']",
    "flat": "is constant (every value is 5)",
    "empty": "has no value at all",
    "gap": "has 1 missing value(s)",
    "offgrid": "timestamps are not on a regular 'QS' grid",
    "unlisted": "has no entry in timeseries_summary",
}


def test_each_bad_series_is_recorded_with_its_reason_and_the_good_one_kept() -> None:
    table, summary = _with_bad_series()

    prepared, failures = prepare_series(table, summary, columns(), fast_params())

    assert list(prepared) == ["good"]
    assert prepared["good"].values.tolist() == quarterly("good")["value"].tolist()
    reasons = {item["series_id"]: item["reason"] for item in failures}
    assert sorted(reasons) == sorted(EXPECTED)
    for series_id, fragment in EXPECTED.items():
        assert reasons[series_id].startswith(f"series '{series_id}' {fragment}")
    assert {item["stage"] for item in failures} == {"input"}


def test_the_length_check_names_the_backtest_settings() -> None:
    params = fast_params()
    assert minimum_points(4, params) == (12, 12 + 4 + 4)
    assert minimum_points(1, params) == (10, 18)  # never fewer than 10 training points
    _, failures = prepare_series(
        pd.concat([quarterly("good"), quarterly("short", n=19)]),
        summary_for(pd.concat([quarterly("good"), quarterly("short", n=19)])),
        columns(),
        params,
    )
    assert "2 fold(s) of horizon 4 every 4" in failures[0]["reason"]


def test_log_transform_needs_positive_values() -> None:
    table = pd.concat([quarterly("good"), quarterly("dips", level=0.0)])
    params = fast_params(arima={"transform": {"method": "log"}})

    prepared, failures = prepare_series(table, summary_for(table), columns(), params)

    assert list(prepared) == ["good"]
    assert "arima.transform is 'log'" in failures[0]["reason"]
    assert "transform.series.dips: none" in failures[0]["reason"]


def test_every_series_failing_stops_the_run() -> None:
    table = quarterly("short", n=8)
    with pytest.raises(InputDataError, match="no series can be modelled: series 'short' has 8"):
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
