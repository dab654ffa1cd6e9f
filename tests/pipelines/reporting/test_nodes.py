"""Unit tests of the reporting (EDA) nodes on small hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting.nodes import (
    correlate_features,
    plot_correlations,
    plot_timeseries,
    profile_columns,
    summarise_categories,
)

NAN = np.nan
STATS = ["mean", "std", "min", "q25", "median", "q75", "max"]


# --- builders -------------------------------------------------------------------------------


def reporting_params(**overrides: object) -> ReportingParams:
    """Parameters as in conf/base/parameters_reporting.yml, with ``overrides``."""
    values: dict[str, object] = {
        "correlation_method": "spearman",
        "top_categories": 10,
        "max_series_plotted": 12,
    }
    values.update(overrides)
    return ReportingParams(**values)


def ts_columns() -> TimeSeriesParams:
    """The time-series column names of conf/base/parameters_preprocessing.yml."""
    return TimeSeriesParams(
        dataset="timeseries_raw",
        id_column="series_id",
        time_column="timestamp",
        value_column="value",
        date_format="%Y-%m-%d",
    )


def mixed_train() -> pd.DataFrame:
    """Two numeric columns (one nullable integer), a boolean and a text column."""
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, NAN],
            "n": pd.array([10, 20, 20, 50, 100], dtype="Int64"),
            "flag": [True, False, True, True, False],
            "label": ["a", "b", "a", None, "c"],
        }
    )


def monotone_train() -> pd.DataFrame:
    """``z`` rises with ``x`` but not linearly; ``w`` falls linearly; the rest is not numeric."""
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0],
            "z": [1.0, 4.0, 9.0, 16.0],
            "w": pd.array([40, 30, 20, 10], dtype="Int64"),
            "flag": [True, False, True, False],
            "label": ["p", "q", "r", "s"],
        }
    )


def long_series(ids: list[str]) -> pd.DataFrame:
    """A regular long table: each id has Jan and Feb 2020, valued by its position."""
    rows = [
        (series_id, stamp, float(10 * position + month))
        for position, series_id in enumerate(ids)
        for month, stamp in enumerate(["2020-01-01", "2020-02-01"], start=1)
    ]
    table = pd.DataFrame(rows, columns=["series_id", "timestamp", "value"])
    return table.assign(timestamp=pd.to_datetime(table["timestamp"]))


def profile_row(profile: pd.DataFrame, column: str) -> dict[str, object]:
    return profile.set_index("column").loc[column].to_dict()


# --- profile_columns ------------------------------------------------------------------------


def test_profile_has_one_row_per_column_in_order() -> None:
    profile = profile_columns(mixed_train())

    assert profile["column"].tolist() == ["x", "n", "flag", "label"]
    assert list(profile.columns) == ["column", "dtype", "missing", "missing_share", "distinct"] + (
        STATS
    )


def test_profile_of_float_column_with_a_missing_value() -> None:
    # x = 1, 2, 3, 4 and one missing: sample std = sqrt(((1.5^2 + 0.5^2) * 2) / 3) = sqrt(5/3).
    row = profile_row(profile_columns(mixed_train()), "x")

    assert row == {
        "dtype": "float64",
        "missing": 1,
        "missing_share": 0.2,
        "distinct": 4,
        "mean": 2.5,
        "std": 1.290994,
        "min": 1.0,
        "q25": 1.75,
        "median": 2.5,
        "q75": 3.25,
        "max": 4.0,
    }


def test_profile_of_nullable_integer_column() -> None:
    # n = 10, 20, 20, 50, 100: deviations from 40 are -30, -20, -20, 10, 60, whose squares sum
    # to 5400; the sample std is sqrt(5400 / 4) = sqrt(1350) = 36.742346.
    row = profile_row(profile_columns(mixed_train()), "n")

    assert row == {
        "dtype": "Int64",
        "missing": 0,
        "missing_share": 0.0,
        "distinct": 4,
        "mean": 40.0,
        "std": 36.742346,
        "min": 10.0,
        "q25": 20.0,
        "median": 20.0,
        "q75": 50.0,
        "max": 100.0,
    }


@pytest.mark.parametrize(
    ("column", "dtype", "missing", "missing_share", "distinct"),
    [("flag", "bool", 0, 0.0, 2), ("label", "str", 1, 0.2, 3)],
)
def test_profile_of_non_numeric_column_has_counts_but_no_statistics(
    column: str, dtype: str, missing: int, missing_share: float, distinct: int
) -> None:
    row = profile_row(profile_columns(mixed_train()), column)

    assert (row["dtype"], row["missing"], row["missing_share"], row["distinct"]) == (
        dtype,
        missing,
        missing_share,
        distinct,
    )
    assert all(np.isnan(row[stat]) for stat in STATS)


def test_profile_rounds_shares_and_statistics_to_six_decimals() -> None:
    train = pd.DataFrame({"v": [0.0, 1.0, NAN], "u": [1.0, 1.0, 2.0]})

    profile = profile_columns(train)

    assert profile_row(profile, "v")["missing_share"] == 0.333333
    assert profile_row(profile, "u")["mean"] == 1.333333


def test_profile_of_train_split_without_numeric_columns() -> None:
    train = pd.DataFrame({"label": ["a", "b", None], "flag": [True, True, False]})

    profile = profile_columns(train)

    assert profile["column"].tolist() == ["label", "flag"]
    assert profile["missing"].tolist() == [1, 0]
    assert profile["distinct"].tolist() == [2, 2]


# --- summarise_categories -------------------------------------------------------------------


def categories_train() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city": ["rome", "paris", "oslo", "paris", "rome", "paris", None],
            "member": [True, True, False, True, True, False, True],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )


def test_categories_count_every_label_of_non_numeric_columns() -> None:
    summary = summarise_categories(categories_train(), reporting_params())

    assert summary == {
        "city": {"paris": 3, "rome": 2, "oslo": 1},
        "member": {"True": 5, "False": 2},
    }


def test_categories_are_listed_most_frequent_first() -> None:
    summary = summarise_categories(categories_train(), reporting_params())

    assert list(summary["city"]) == ["paris", "rome", "oslo"]


def test_categories_keep_only_top_categories() -> None:
    summary = summarise_categories(categories_train(), reporting_params(top_categories=2))

    assert summary["city"] == {"paris": 3, "rome": 2}
    assert summary["member"] == {"True": 5, "False": 2}


def test_categories_counts_are_plain_ints() -> None:
    summary = summarise_categories(categories_train(), reporting_params())

    assert all(type(count) is int for count in summary["city"].values())


# --- correlate_features ---------------------------------------------------------------------


def test_pearson_correlation_matrix() -> None:
    # x = 1..4 (deviations -1.5, -0.5, 0.5, 1.5; squares sum to 5) and z = x^2 (mean 7.5,
    # deviations -6.5, -3.5, 1.5, 8.5; squares sum to 129; cross products sum to 25):
    # r(x, z) = 25 / sqrt(5 * 129) = 0.984374. w = 50 - 10x is exactly anti-linear in x.
    matrix = correlate_features(monotone_train(), reporting_params(correlation_method="pearson"))

    expected = pd.DataFrame(
        [[1.0, 0.984374, -1.0], [0.984374, 1.0, -0.984374], [-1.0, -0.984374, 1.0]],
        index=pd.Index(["x", "z", "w"], name="column"),
        columns=["x", "z", "w"],
    )
    pd.testing.assert_frame_equal(matrix, expected)


def test_spearman_correlation_matrix_of_monotone_columns() -> None:
    matrix = correlate_features(monotone_train(), reporting_params(correlation_method="spearman"))

    expected = pd.DataFrame(
        [[1.0, 1.0, -1.0], [1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]],
        index=pd.Index(["x", "z", "w"], name="column"),
        columns=["x", "z", "w"],
    )
    pd.testing.assert_frame_equal(matrix, expected)


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_correlation_equals_pandas_corr_rounded(method: str) -> None:
    train = pd.DataFrame(
        {
            "a": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0],
            "b": [2.0, 7.0, 1.0, 8.0, 2.0, 8.0],
            "c": [1.0, NAN, 2.0, 3.0, 5.0, 8.0],
        }
    )

    matrix = correlate_features(train, reporting_params(correlation_method=method))

    expected = train.corr(method=method).round(6).rename_axis("column")
    pd.testing.assert_frame_equal(matrix, expected)


def test_correlation_ignores_boolean_and_text_columns() -> None:
    matrix = correlate_features(monotone_train(), reporting_params())

    assert matrix.index.tolist() == ["x", "z", "w"]
    assert matrix.columns.tolist() == ["x", "z", "w"]


def test_correlation_with_fewer_than_two_numeric_columns_is_empty_with_a_note() -> None:
    train = pd.DataFrame({"x": [1.0, 2.0], "flag": [True, False], "label": ["a", "b"]})

    matrix = correlate_features(train, reporting_params())
    figure = plot_correlations(matrix, reporting_params())

    assert matrix.empty and matrix.shape == (0, 0)
    assert figure.data == ()
    assert "not applicable: a correlation matrix needs at least two numeric columns" in (
        figure.layout.annotations[0].text
    )


# --- plot_correlations ----------------------------------------------------------------------


def test_heatmap_shows_the_matrix() -> None:
    params = reporting_params(correlation_method="pearson")
    matrix = correlate_features(monotone_train(), params)

    figure = plot_correlations(matrix, params)

    assert len(figure.data) == 1
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    np.testing.assert_array_equal(np.asarray(heatmap.z), matrix.to_numpy())
    assert list(heatmap.x) == ["x", "z", "w"]
    assert list(heatmap.y) == ["x", "z", "w"]
    assert (heatmap.zmin, heatmap.zmax) == (-1, 1)


@pytest.mark.parametrize(
    ("method", "title"),
    [
        ("pearson", "Pearson correlation (train split)"),
        ("spearman", "Spearman correlation (train split)"),
    ],
)
def test_heatmap_title_names_the_method(method: str, title: str) -> None:
    params = reporting_params(correlation_method=method)
    matrix = correlate_features(monotone_train(), params)

    figure = plot_correlations(matrix, params)

    assert figure.layout.title.text == title


# --- plot_timeseries ------------------------------------------------------------------------


def test_one_line_per_series_in_id_order() -> None:
    figure = plot_timeseries(long_series(["b", "a", "c"]), ts_columns(), reporting_params())

    assert [trace.type for trace in figure.data] == ["scatter"] * 3
    assert [trace.name for trace in figure.data] == ["a", "b", "c"]
    assert [trace.mode for trace in figure.data] == ["lines"] * 3


def test_series_x_values_are_iso_dates_and_y_values_the_series() -> None:
    # long_series values: b (position 0) = 1, 2; a (position 1) = 11, 12.
    figure = plot_timeseries(long_series(["b", "a"]), ts_columns(), reporting_params())

    first, second = figure.data
    assert list(first.x) == ["2020-01-01", "2020-02-01"]
    assert list(first.y) == [11.0, 12.0]
    assert list(second.x) == ["2020-01-01", "2020-02-01"]
    assert list(second.y) == [1.0, 2.0]


def test_each_series_has_its_own_titled_row() -> None:
    figure = plot_timeseries(long_series(["b", "a"]), ts_columns(), reporting_params())

    assert [(trace.xaxis, trace.yaxis) for trace in figure.data] == [("x", "y"), ("x2", "y2")]
    assert [annotation.text for annotation in figure.layout.annotations] == ["a", "b"]
    assert figure.layout.height == 440


def test_series_plotted_are_capped_by_max_series_plotted() -> None:
    figure = plot_timeseries(
        long_series(["d", "c", "b", "a"]), ts_columns(), reporting_params(max_series_plotted=2)
    )

    assert [trace.name for trace in figure.data] == ["a", "b"]
    assert [annotation.text for annotation in figure.layout.annotations] == ["a", "b"]
    assert figure.layout.height == 440


def test_many_series_can_be_plotted() -> None:
    ids = [f"s{number:02d}" for number in range(30)]

    figure = plot_timeseries(
        long_series(ids), ts_columns(), reporting_params(max_series_plotted=30)
    )

    assert [trace.name for trace in figure.data] == ids
