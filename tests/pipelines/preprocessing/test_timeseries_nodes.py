"""Unit tests of the time-series preprocessing nodes on small hand-made frames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.pipelines.preprocessing.timeseries_nodes import (
    infer_frequency,
    regularise_timeseries,
    validate_timeseries,
)

NAN = np.nan


# --- builders -------------------------------------------------------------------------------


def ts_params(**overrides: object) -> TimeSeriesParams:
    """Parameters as in conf/base/parameters_preprocessing.yml, except that series 'a' and 'b'
    have a season of one period and one season suffices, so that short hand-made series pass
    the length check. Tests of the season length and the length check override both."""
    values: dict[str, object] = {
        "dataset": "timeseries_raw",
        "id_column": "series_id",
        "time_column": "timestamp",
        "value_column": "value",
        "date_format": "%Y-%m-%d",
        "frequency": {},
        "season_length": {"a": 1, "b": 1},
        "duplicate_timestamps": "last",
        "gap_fill": "interpolate",
        "min_seasons": 1,
    }
    values.update(overrides)
    return TimeSeriesParams(**values)


def raw_frame(ids: list[object], stamps: list[object], values: list[object]) -> pd.DataFrame:
    """A raw long table as it is loaded from CSV: text timestamps, values of any type."""
    return pd.DataFrame({"series_id": ids, "timestamp": stamps, "value": values})


def series(series_id: str, stamps: list[str], values: list[float]) -> pd.DataFrame:
    """A validated long table holding one series."""
    return pd.DataFrame(
        {
            "series_id": series_id,
            "timestamp": pd.to_datetime(stamps),
            "value": np.array(values, dtype="float64"),
        }
    )


def month_starts(start: str, periods: int) -> list[str]:
    return pd.date_range(start, periods=periods, freq="MS").strftime("%Y-%m-%d").tolist()


def quarter_starts(start: str, periods: int) -> list[str]:
    return pd.date_range(start, periods=periods, freq="QS").strftime("%Y-%m-%d").tolist()


def stamps_of(table: pd.DataFrame) -> list[str]:
    return table["timestamp"].dt.strftime("%Y-%m-%d").tolist()


def values_of(table: pd.DataFrame) -> list[float]:
    return table["value"].tolist()


def regularise(data: pd.DataFrame, **overrides: object) -> tuple[pd.DataFrame, dict, list]:
    """Regularise ``data``; the one-period seasons of ``ts_params`` apply to its series only."""
    present = set(data["series_id"])
    overrides.setdefault("season_length", {sid: 1 for sid in ("a", "b") if sid in present})
    return regularise_timeseries(data, ts_params(**overrides))


def step_counts(steps: list[dict]) -> dict[tuple[str | None, str], int]:
    return {(step["column"], step["rule"]): step["count"] for step in steps}


def index(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(stamps)))


# --- validate_timeseries --------------------------------------------------------------------


def test_validate_parses_dates_and_coerces_values_to_float() -> None:
    raw = raw_frame(["a", "a"], ["2020-01-01", "2020-02-01"], ["1.5", 2])

    validated, _ = validate_timeseries(raw, ts_params())

    assert validated["timestamp"].tolist() == [
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-02-01"),
    ]
    assert validated["value"].dtype == "float64"
    assert validated["value"].tolist() == [1.5, 2.0]


def test_validate_uses_configured_date_format() -> None:
    raw = raw_frame(["a", "a"], ["01/02/2020", "13/02/2020"], [1.0, 2.0])

    validated, _ = validate_timeseries(raw, ts_params(date_format="%d/%m/%Y"))

    assert validated["timestamp"].tolist() == [
        pd.Timestamp("2020-02-01"),
        pd.Timestamp("2020-02-13"),
    ]


def test_validate_turns_ids_into_strings() -> None:
    raw = raw_frame([7, 7], ["2020-01-01", "2020-02-01"], [1.0, 2.0])

    validated, _ = validate_timeseries(raw, ts_params())

    assert validated["series_id"].tolist() == ["7", "7"]


def test_validate_keeps_missing_values_as_nan() -> None:
    raw = raw_frame(["a", "a"], ["2020-01-01", "2020-02-01"], [None, 2.0])

    validated, _ = validate_timeseries(raw, ts_params())

    assert np.isnan(validated["value"].iloc[0])
    assert validated["value"].iloc[1] == 2.0


def test_validate_keeps_only_the_three_columns_in_order() -> None:
    raw = raw_frame(["a"], ["2020-01-01"], [1.0]).assign(note=["x"])
    raw = raw[["value", "note", "timestamp", "series_id"]]

    validated, _ = validate_timeseries(raw, ts_params())

    assert list(validated.columns) == ["series_id", "timestamp", "value"]


def test_validate_records_rows_in() -> None:
    raw = raw_frame(["a", "a", "b"], ["2020-01-01", "2020-02-01", "2020-01-01"], [1, 2, 3])

    _, steps = validate_timeseries(raw, ts_params())

    assert steps == [
        {
            "dataset": "timeseries_raw",
            "stage": "input",
            "rule": "rows_in",
            "column": None,
            "split": "all",
            "count": 3,
        }
    ]


def test_validate_rejects_missing_value_column() -> None:
    raw = raw_frame(["a"], ["2020-01-01"], [1.0]).drop(columns="value")

    with pytest.raises(InputDataError, match="Dataset 'timeseries_raw'") as error:
        validate_timeseries(raw, ts_params())

    assert "'value'" in str(error.value)


def test_validate_rejects_missing_id_column() -> None:
    raw = raw_frame(["a"], ["2020-01-01"], [1.0]).drop(columns="series_id")

    with pytest.raises(InputDataError, match="Dataset 'timeseries_raw'") as error:
        validate_timeseries(raw, ts_params())

    assert "'series_id'" in str(error.value)


def test_validate_rejects_unparseable_timestamp() -> None:
    raw = raw_frame(["a", "a"], ["2020-01-01", "2020/02/01"], [1.0, 2.0])

    with pytest.raises(InputDataError, match="Dataset 'timeseries_raw'") as error:
        validate_timeseries(raw, ts_params())

    message = str(error.value)
    assert "column 'timestamp'" in message
    assert "2020/02/01" in message
    assert "at rows [1]" in message


def test_validate_rejects_timestamp_in_another_format_than_configured() -> None:
    raw = raw_frame(["a"], ["2020-02-01"], [1.0])

    with pytest.raises(InputDataError, match="column 'timestamp'"):
        validate_timeseries(raw, ts_params(date_format="%d/%m/%Y"))


def test_validate_rejects_missing_series_id() -> None:
    raw = raw_frame(["a", None], ["2020-01-01", "2020-02-01"], [1.0, 2.0])

    with pytest.raises(InputDataError, match="Dataset 'timeseries_raw'") as error:
        validate_timeseries(raw, ts_params())

    message = str(error.value)
    assert "column 'series_id'" in message
    assert "at rows [1]" in message


def test_validate_rejects_non_numeric_value() -> None:
    raw = raw_frame(["a", "a"], ["2020-01-01", "2020-02-01"], ["abc", 2.0])

    with pytest.raises(InputDataError, match="column 'value'") as error:
        validate_timeseries(raw, ts_params())

    assert "abc" in str(error.value)


def test_validate_rejects_empty_frame() -> None:
    raw = raw_frame([], [], [])

    with pytest.raises(InputDataError, match="Dataset 'timeseries_raw' has no rows"):
        validate_timeseries(raw, ts_params())


# --- infer_frequency ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        pytest.param(month_starts("2020-01-01", 6), "MS", id="month-start"),
        pytest.param(
            ["2021-01-31", "2021-02-28", "2021-03-31", "2021-04-30", "2021-05-31"],
            "ME",
            id="month-end",
        ),
        pytest.param(quarter_starts("2020-01-01", 5), "QS-JAN", id="quarter-start"),
        pytest.param(
            ["2020-01-05", "2020-01-12", "2020-01-19", "2020-01-26"], "W-SUN", id="weekly"
        ),
        pytest.param(["2020-03-01", "2020-03-02", "2020-03-03", "2020-03-04"], "D", id="daily"),
    ],
)
def test_infer_frequency_of_regular_stamps(stamps: list[str], expected: str) -> None:
    assert infer_frequency(index(*stamps)) == expected


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        pytest.param(
            ["2020-01-01", "2020-02-01", "2020-04-01", "2020-05-01", "2020-08-01"],
            "MS",
            id="month-start",
        ),
        pytest.param(
            ["2021-01-31", "2021-02-28", "2021-05-31", "2021-06-30"], "ME", id="month-end"
        ),
        pytest.param(
            ["2020-01-01", "2020-04-01", "2020-10-01", "2021-01-01"], "QS-JAN", id="quarter-jan"
        ),
        pytest.param(
            ["2020-02-01", "2020-05-01", "2020-11-01", "2021-02-01"], "QS-FEB", id="quarter-feb"
        ),
        pytest.param(
            ["2020-03-31", "2020-06-30", "2020-12-31", "2021-03-31"], "QE-MAR", id="quarter-end"
        ),
        pytest.param(
            ["2020-01-06", "2020-01-13", "2020-01-27", "2020-02-03"], "W-MON", id="weekly"
        ),
        pytest.param(["2020-03-01", "2020-03-02", "2020-03-05", "2020-03-06"], "D", id="daily"),
    ],
)
def test_infer_frequency_of_gappy_stamps(stamps: list[str], expected: str) -> None:
    timestamps = index(*stamps)
    assert pd.infer_freq(timestamps) is None  # the fallback is what is under test

    assert infer_frequency(timestamps) == expected


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        pytest.param(["2020-07-01", "2021-07-01", "2023-07-01"], "YS-JUL", id="year-start-jul"),
        pytest.param(["2020-06-30", "2021-06-30", "2023-06-30"], "YE-JUN", id="year-end-jun"),
    ],
)
def test_infer_frequency_of_gappy_annual_stamps_keeps_their_month(
    stamps: list[str], expected: str
) -> None:
    assert infer_frequency(index(*stamps)) == expected


def test_infer_frequency_of_two_month_starts() -> None:
    assert infer_frequency(index("2021-02-01", "2021-03-01")) == "MS"


@pytest.mark.parametrize(
    "stamps",
    [
        pytest.param(["2020-01-01", "2020-01-04", "2020-01-09"], id="steps-of-3-and-5-days"),
        pytest.param(["2020-01-01", "2020-01-15", "2020-02-01"], id="mid-month-stamp"),
        pytest.param(["2020-01-10", "2020-02-10", "2020-03-10", "2020-05-10"], id="10th"),
        pytest.param(["2020-01-01"], id="single-stamp"),
    ],
)
def test_infer_frequency_of_irregular_stamps_is_none(stamps: list[str]) -> None:
    assert infer_frequency(index(*stamps)) is None


# --- regularise_timeseries: duplicates -------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "february"),
    [("first", 1.0), ("last", 3.0), ("mean", 2.0), ("sum", 4.0)],
)
def test_duplicate_timestamps_are_resolved_by_rule(rule: str, february: float) -> None:
    data = series(
        "a", ["2020-01-01", "2020-02-01", "2020-02-01", "2020-03-01"], [10.0, 1.0, 3.0, 20.0]
    )

    out, _, steps = regularise(data, duplicate_timestamps=rule)

    assert stamps_of(out) == ["2020-01-01", "2020-02-01", "2020-03-01"]
    assert values_of(out) == [10.0, february, 20.0]
    assert step_counts(steps)[("a", "duplicate_timestamps")] == 1


@pytest.mark.parametrize(("rule", "february"), [("first", 0.0), ("last", 6.0)])
def test_first_and_last_keep_the_named_row_even_if_its_value_is_missing(
    rule: str, february: float
) -> None:
    # "first" picks the missing copy, which ffill then fills from January; "last" picks 6.
    data = series(
        "a", ["2020-01-01", "2020-02-01", "2020-02-01", "2020-03-01"], [0.0, NAN, 6.0, 4.0]
    )

    out, _, _ = regularise(data, duplicate_timestamps=rule, gap_fill="ffill")

    assert values_of(out) == [0.0, february, 4.0]


def test_sum_rule_keeps_missing_values_missing() -> None:
    data = series(
        "a",
        ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01"],
        [NAN, 1.0, NAN, 3.0, NAN],
    )

    out, meta, steps = regularise(data, duplicate_timestamps="sum", gap_fill="ffill")

    # Leading and trailing missing values are trimmed; March is forward-filled from February.
    assert stamps_of(out) == ["2020-02-01", "2020-03-01", "2020-04-01"]
    assert values_of(out) == [1.0, 1.0, 3.0]
    assert meta["a"]["n_points"] == 3
    assert step_counts(steps)[("a", "filled_ffill")] == 1


# --- regularise_timeseries: gaps and trimming ----------------------------------------------


def test_missing_month_is_interpolated_linearly_in_time() -> None:
    # 2021 is not a leap year: Jan 1 -> Feb 1 is 31 days, Feb 1 -> Mar 1 is 28 days.
    # February = 10 + (69 - 10) * 31 / 59 = 41 (a position-based interpolation gives 39.5).
    data = series("a", ["2021-01-01", "2021-03-01"], [10.0, 69.0])

    out, _, _ = regularise(data, gap_fill="interpolate", frequency={"a": "MS"})

    assert stamps_of(out) == ["2021-01-01", "2021-02-01", "2021-03-01"]
    assert values_of(out) == pytest.approx([10.0, 41.0, 69.0], abs=1e-12)


def test_interpolation_spans_unequal_months() -> None:
    # 2020-02-01 -> 2020-05-01 is 29 + 31 + 30 = 90 days; from 4 to 8 that is 4/90 per day.
    # March 1 is 29 days in: 4 + 4 * 29 / 90; April 1 is 60 days in: 4 + 4 * 60 / 90.
    data = series("a", ["2020-01-01", "2020-02-01", "2020-05-01"], [0.0, 4.0, 8.0])

    out, _, _ = regularise(data, gap_fill="interpolate")

    assert stamps_of(out) == ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01"]
    assert values_of(out) == pytest.approx([0.0, 4.0, 4 + 116 / 90, 4 + 240 / 90, 8.0])


def test_missing_month_is_forward_filled() -> None:
    data = series("a", ["2021-01-01", "2021-03-01"], [10.0, 69.0])

    out, _, _ = regularise(data, gap_fill="ffill", frequency={"a": "MS"})

    assert values_of(out) == [10.0, 10.0, 69.0]


def test_missing_month_is_filled_with_zero() -> None:
    data = series("a", ["2021-01-01", "2021-03-01"], [10.0, 69.0])

    out, _, _ = regularise(data, gap_fill="zero", frequency={"a": "MS"})

    assert values_of(out) == [10.0, 0.0, 69.0]


def test_missing_value_inside_is_filled_like_a_missing_month() -> None:
    data = series("a", ["2021-01-01", "2021-02-01", "2021-03-01"], [10.0, NAN, 69.0])

    out, _, _ = regularise(data, gap_fill="interpolate")

    assert values_of(out) == pytest.approx([10.0, 41.0, 69.0], abs=1e-12)


def test_leading_and_trailing_missing_values_are_trimmed() -> None:
    data = series(
        "a",
        ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01", "2020-06-01"],
        [NAN, NAN, 5.0, 7.0, NAN, NAN],
    )

    out, meta, steps = regularise(data)

    assert stamps_of(out) == ["2020-03-01", "2020-04-01"]
    assert values_of(out) == [5.0, 7.0]
    assert meta["a"]["start"] == "2020-03-01"
    assert meta["a"]["end"] == "2020-04-01"
    assert step_counts(steps)[("a", "filled_interpolate")] == 0


def test_quality_steps_count_duplicates_missing_stamps_and_filled_values() -> None:
    # February is duplicated, March's value is missing and April's row is absent.
    data = series(
        "a",
        ["2020-01-01", "2020-02-01", "2020-02-01", "2020-03-01", "2020-05-01"],
        [1.0, 2.0, 4.0, NAN, 8.0],
    )

    _, _, steps = regularise(data, gap_fill="ffill")

    assert steps == [
        {
            "dataset": "timeseries_raw",
            "stage": "series",
            "rule": "duplicate_timestamps",
            "column": "a",
            "split": "all",
            "count": 1,
        },
        {
            "dataset": "timeseries_raw",
            "stage": "series",
            "rule": "trimmed_missing_ends",
            "column": "a",
            "split": "all",
            "count": 0,
        },
        {
            "dataset": "timeseries_raw",
            "stage": "series",
            "rule": "missing_timestamps",
            "column": "a",
            "split": "all",
            "count": 1,
        },
        {
            "dataset": "timeseries_raw",
            "stage": "series",
            "rule": "filled_ffill",
            "column": "a",
            "split": "all",
            "count": 2,
        },
    ]


def test_quality_steps_are_listed_per_series_in_id_order() -> None:
    data = pd.concat(
        [
            series("b", ["2020-01-01", "2020-02-01"], [1.0, 2.0]),
            series("a", ["2020-01-01", "2020-03-01"], [1.0, 3.0]),
        ]
    )

    _, _, steps = regularise(data, frequency={"a": "MS"})

    assert [(step["column"], step["rule"], step["count"]) for step in steps] == [
        ("a", "duplicate_timestamps", 0),
        ("a", "trimmed_missing_ends", 0),
        ("a", "missing_timestamps", 1),
        ("a", "filled_interpolate", 1),
        ("b", "duplicate_timestamps", 0),
        ("b", "trimmed_missing_ends", 0),
        ("b", "missing_timestamps", 0),
        ("b", "filled_interpolate", 0),
    ]


# --- regularise_timeseries: frequency, season length, summary ------------------------------


def test_summary_of_a_monthly_series() -> None:
    data = series("a", ["2020-01-01", "2020-02-01", "2020-04-01"], [1.0, 2.0, 4.0])

    _, meta, _ = regularise(data)

    assert meta == {
        "a": {
            "frequency": "MS",
            "season_length": 1,
            "start": "2020-01-01",
            "end": "2020-04-01",
            "n_points": 4,
        }
    }


def test_frequency_override_wins_over_inference() -> None:
    # The stamps look quarterly, but the series is declared monthly.
    data = series("a", ["2020-01-01", "2020-04-01", "2020-07-01"], [0.0, 3.0, 6.0])

    out, meta, _ = regularise(data, frequency={"a": "MS"}, gap_fill="ffill")

    assert stamps_of(out) == month_starts("2020-01-01", 7)
    assert values_of(out) == [0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 6.0]
    assert meta["a"]["frequency"] == "MS"
    assert meta["a"]["n_points"] == 7


def test_frequency_override_applies_to_its_series_only() -> None:
    data = pd.concat(
        [
            series("a", ["2020-01-01", "2020-04-01", "2020-07-01"], [0.0, 3.0, 6.0]),
            series("b", ["2020-01-01", "2020-04-01", "2020-07-01"], [0.0, 3.0, 6.0]),
        ]
    )

    _, meta, _ = regularise(data, frequency={"a": "MS"})

    assert meta["a"]["frequency"] == "MS"
    assert meta["b"]["frequency"] == "QS-JAN"
    assert meta["b"]["n_points"] == 3


def test_default_season_length_is_12_for_monthly_series() -> None:
    data = series("a", month_starts("2020-01-01", 24), list(range(24)))

    _, meta, _ = regularise(data, season_length={}, min_seasons=2)

    assert meta["a"]["season_length"] == 12
    assert meta["a"]["n_points"] == 24


def test_default_season_length_is_4_for_quarterly_series() -> None:
    data = series("a", quarter_starts("2020-01-01", 8), list(range(8)))

    _, meta, _ = regularise(data, season_length={}, min_seasons=2)

    assert meta["a"]["frequency"] == "QS-JAN"
    assert meta["a"]["season_length"] == 4


def test_season_length_override() -> None:
    data = series("a", month_starts("2020-01-01", 6), list(range(6)))

    _, meta, _ = regularise(data, season_length={"a": 3}, min_seasons=2)

    assert meta["a"]["season_length"] == 3


def test_too_short_monthly_series_is_rejected_with_the_numbers() -> None:
    data = series("a", month_starts("2020-01-01", 23), list(range(23)))

    message = (
        "Dataset 'timeseries_raw': series 'a' has 23 point(s) at frequency 'MS'; "
        "at least 24 (2 seasons of 12) are needed."
    )
    with pytest.raises(InputDataError, match=re.escape(message)):
        regularise(data, season_length={}, min_seasons=2)


def test_too_short_quarterly_series_is_rejected_with_the_numbers() -> None:
    data = series("q1", quarter_starts("2020-01-01", 7), list(range(7)))

    with pytest.raises(
        InputDataError,
        match=re.escape("series 'q1' has 7 point(s) at frequency 'QS-JAN'; at least 8 (2 seasons"),
    ):
        regularise(data, season_length={}, min_seasons=2)


def test_length_check_counts_filled_points() -> None:
    # Three stamps, but the regular grid has five points: enough for 5 seasons of 1.
    data = series("a", ["2020-01-01", "2020-02-01", "2020-05-01"], [1.0, 2.0, 5.0])

    _, meta, _ = regularise(data, min_seasons=5)

    assert meta["a"]["n_points"] == 5


# --- regularise_timeseries: rejected series -------------------------------------------------


def test_stamp_off_the_declared_grid_is_rejected() -> None:
    data = series(
        "a", ["2020-01-01", "2020-02-01", "2020-02-15", "2020-03-01"], [1.0, 2.0, 2.5, 3.0]
    )

    message = "Dataset 'timeseries_raw': series 'a' has 1 timestamp(s) off its 'MS' grid"
    with pytest.raises(InputDataError, match=re.escape(message)) as error:
        regularise(data, frequency={"a": "MS"})

    assert "2020-02-15" in str(error.value)


def test_mid_month_stamp_in_a_monthly_series_is_rejected() -> None:
    data = series(
        "a", ["2020-01-01", "2020-01-15", "2020-02-01", "2020-03-01"], [1.0, 1.5, 2.0, 3.0]
    )

    # the monthly grid is inferred from the majority of steps, so the stray stamp is named
    with pytest.raises(
        InputDataError, match=r"series 'a' has 1 timestamp\(s\) off its 'MS' grid"
    ) as error:
        regularise(data)

    assert "['2020-01-15']" in str(error.value)


def test_stray_stamp_one_day_after_a_month_start_is_rejected() -> None:
    stamps = [*month_starts("2020-01-01", 24), "2020-01-02"]
    data = series("a", stamps, list(range(25)))

    with pytest.raises(InputDataError, match="series 'a'"):
        regularise(data, season_length={}, min_seasons=2)


def test_series_with_every_value_missing_is_rejected() -> None:
    data = pd.concat(
        [
            series("a", ["2020-01-01", "2020-02-01"], [1.0, 2.0]),
            series("b", ["2020-01-01", "2020-02-01"], [NAN, NAN]),
        ]
    )

    with pytest.raises(
        InputDataError, match=re.escape("Dataset 'timeseries_raw': series 'b' has no value at all")
    ):
        regularise(data)


# --- regularise_timeseries: output ---------------------------------------------------------


def test_output_is_sorted_by_id_then_time() -> None:
    data = pd.concat(
        [
            series("b", ["2020-02-01", "2020-01-01"], [20.0, 10.0]),
            series("a", ["2020-03-01", "2020-01-01", "2020-02-01"], [3.0, 1.0, 2.0]),
        ]
    )

    out, meta, _ = regularise(data)

    assert list(out.columns) == ["series_id", "timestamp", "value"]
    assert out["series_id"].tolist() == ["a", "a", "a", "b", "b"]
    assert stamps_of(out) == [
        "2020-01-01",
        "2020-02-01",
        "2020-03-01",
        "2020-01-01",
        "2020-02-01",
    ]
    assert values_of(out) == [1.0, 2.0, 3.0, 10.0, 20.0]
    assert out.index.tolist() == [0, 1, 2, 3, 4]
    assert list(meta) == ["a", "b"]


def test_output_does_not_depend_on_row_order() -> None:
    data = pd.concat(
        [
            series("b", ["2020-01-01", "2020-02-01", "2020-04-01"], [1.0, 2.0, 4.0]),
            series("a", ["2020-01-01", "2020-03-01", "2020-04-01"], [5.0, 7.0, 8.0]),
        ],
        ignore_index=True,
    )
    shuffled = data.sample(frac=1.0, random_state=3)

    first = regularise(data)
    second = regularise(shuffled)

    pd.testing.assert_frame_equal(first[0], second[0])
    assert first[1] == second[1]
    assert first[2] == second[2]


def test_repeated_runs_give_identical_output() -> None:
    data = series("a", ["2020-01-01", "2020-03-01", "2020-04-01"], [5.0, 7.0, 8.0])

    pd.testing.assert_frame_equal(regularise(data)[0], regularise(data)[0])


# --- calendars, time zones and parameters that name absent series ---------------------------


def test_business_days_with_a_holiday_stay_business_days() -> None:
    days = pd.bdate_range("2024-01-01", periods=30).delete(10)  # a Monday-to-Friday holiday
    data = series("a", list(days.strftime("%Y-%m-%d")), [float(i) for i in range(29)])

    out, meta, _ = regularise(data, season_length={}, min_seasons=2)

    assert meta["a"]["frequency"] == "B"
    assert meta["a"]["season_length"] == 5
    assert len(out) == 30  # the holiday is filled, no weekend is invented
    assert not (out["timestamp"].dt.day_of_week >= 5).any()


def test_a_multiple_of_a_frequency_divides_its_season() -> None:
    stamps = pd.date_range("2024-01-01", periods=48, freq="2h")
    data = series("a", list(stamps.strftime("%Y-%m-%d %H:%M:%S")), [float(i) for i in range(48)])

    _, meta, _ = regularise(data, season_length={}, min_seasons=2)

    assert meta["a"]["frequency"] == "2h"
    assert meta["a"]["season_length"] == 12  # 24 hours a day, one point every 2 hours
    assert meta["a"]["start"] == "2024-01-01 00:00:00"
    assert meta["a"]["end"] == "2024-01-04 22:00:00"


def test_a_multiple_that_does_not_divide_the_season_asks_for_season_length() -> None:
    stamps = pd.date_range("2024-01-01", periods=30, freq="3D")
    data = series("a", list(stamps.strftime("%Y-%m-%d")), [float(i) for i in range(30)])

    with pytest.raises(InputDataError, match="frequency '3D', which has no default season"):
        regularise(data, season_length={})


def test_gappy_hourly_series_is_recognised() -> None:
    stamps = pd.date_range("2024-01-01", periods=60, freq="h").delete([5, 6, 30])
    data = series("a", list(stamps.strftime("%Y-%m-%d %H:%M:%S")), [1.0] * 57)

    out, meta, _ = regularise(data, season_length={})

    assert meta["a"]["frequency"] == "h"
    assert len(out) == 60


def test_time_zone_aware_timestamps_keep_their_local_wall_time() -> None:
    stamps = pd.date_range("2024-01-01", periods=30, freq="D", tz="Europe/Berlin")
    raw = pd.DataFrame({"series_id": "a", "timestamp": stamps, "value": np.arange(30.0)})

    validated, _ = validate_timeseries(raw, ts_params())
    _, meta, _ = regularise_timeseries(validated, ts_params(season_length={}))

    assert validated["timestamp"].iloc[0] == pd.Timestamp("2024-01-01 00:00:00")
    assert meta["a"]["start"] == "2024-01-01"
    assert meta["a"]["frequency"] == "D"


def test_text_timestamps_with_a_utc_offset_are_refused_with_the_column() -> None:
    raw = raw_frame(["a", "a"], ["2024-01-01T00:00:00+0100", "2024-01-02T00:00:00+0100"], [1, 2])

    with pytest.raises(InputDataError) as error:
        validate_timeseries(raw, ts_params(date_format=None))

    message = str(error.value)
    assert "column 'timestamp' has timestamps with a UTC offset" in message
    assert "2024-01-01T00:00:00+0100" in message and "rows [0, 1]" in message


def test_parameters_naming_an_absent_series_are_refused() -> None:
    data = series("a", month_starts("2020-01-01", 4), [1.0, 2.0, 3.0, 4.0])

    with pytest.raises(InputDataError, match=r"not in the data: \['air_pasengers'\]"):
        regularise(data, frequency={"air_pasengers": "MS"})
