"""Unit tests of the time-series EDA (reporting/timeseries_nodes.py): STL components and the
ACF/PACF bars are statsmodels' own, on small generated series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.stattools import acf, pacf

from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting.timeseries_nodes import (
    decompose_series,
    plot_autocorrelation,
    plot_decomposition,
)

COLUMNS = TimeSeriesParams(dataset="ts", id_column="id", time_column="t", value_column="v")


def seasonal(points: int, period: int, seed: int = 0) -> np.ndarray:
    generator = np.random.default_rng(seed)
    steps = np.arange(points)
    return 10 + 0.1 * steps + 3 * np.sin(2 * np.pi * steps / period) + generator.normal(size=points)


def long_table(series: dict[str, np.ndarray]) -> pd.DataFrame:
    """Monthly series in a long table, listed out of order (the nodes sort them)."""
    frames = [
        pd.DataFrame(
            {"id": name, "t": pd.date_range("2000-01-01", periods=len(v), freq="MS"), "v": v}
        )
        for name, v in series.items()
    ]
    return pd.concat(frames, ignore_index=True).iloc[::-1].reset_index(drop=True)


def test_stl_components_are_statsmodels_and_sum_to_the_series() -> None:
    values = seasonal(48, 12)
    table = long_table({"s": values})

    components = decompose_series(table, {"s": {"season_length": 12}}, COLUMNS, ReportingParams())

    fit = STL(values, period=12, robust=True).fit()
    np.testing.assert_array_equal(components["observed"], np.round(values, 6))
    np.testing.assert_allclose(components["trend"], fit.trend, atol=5e-7)
    np.testing.assert_allclose(components["seasonal"], fit.seasonal, atol=5e-7)
    total = components["trend"] + components["seasonal"] + components["resid"]
    np.testing.assert_allclose(total, values, atol=2e-6)
    assert components["timestamp"].is_monotonic_increasing
    assert set(components["period"]) == {12}


def test_stl_robustness_follows_the_parameter() -> None:
    values = seasonal(48, 12)
    values[20] += 30  # an outlier robust weights discount

    plain = decompose_series(
        long_table({"s": values}),
        {"s": {"season_length": 12}},
        COLUMNS,
        ReportingParams(stl_robust=False),
    )

    fit = STL(values, period=12, robust=False).fit()
    np.testing.assert_allclose(plain["trend"], fit.trend, atol=5e-7)


@pytest.mark.parametrize(("points", "season"), [(30, 1), (20, 12)], ids=["no-season", "short"])
def test_series_without_two_seasons_get_a_trend_and_no_seasonal(points: int, season: int) -> None:
    values = seasonal(points, 12)

    components = decompose_series(
        long_table({"s": values}), {"s": {"season_length": season}}, COLUMNS, ReportingParams()
    )

    assert set(components["period"]) == {1}
    assert (components["seasonal"] == 0).all()
    total = components["trend"] + components["resid"]
    np.testing.assert_allclose(total, values, atol=2e-6)


def test_decomposition_covers_max_series_plotted_by_id() -> None:
    table = long_table({name: seasonal(36, 12, n) for n, name in enumerate("dcba")})
    summary = {name: {"season_length": 12} for name in "abcd"}

    components = decompose_series(table, summary, COLUMNS, ReportingParams(max_series_plotted=2))

    assert list(dict.fromkeys(components["series_id"])) == ["a", "b"]


def test_decomposition_figure_has_a_row_of_four_components_per_series() -> None:
    table = long_table({"a": seasonal(36, 12), "b": seasonal(30, 1)})
    components = decompose_series(table, {"a": {"season_length": 12}}, COLUMNS, ReportingParams())

    figure = plot_decomposition(components)

    assert [trace.type for trace in figure.data] == ["scatter"] * 3 + ["bar"] + (
        ["scatter"] * 3 + ["bar"]
    )
    assert [trace.name for trace in figure.data[:4]] == [
        "a observed",
        "a trend",
        "a seasonal",
        "a resid",
    ]
    assert (
        list(figure.data[1].y) == components.loc[components["series_id"] == "a", "trend"].tolist()
    )
    assert figure.data[0].x[0] == "2000-01-01"
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles[0] == "a: observed (STL, period 12)"
    assert titles[4] == "b: observed (LOWESS trend, no season)"
    assert (figure.data[4].xaxis, figure.data[7].xaxis) == ("x5", "x8")  # second row


def test_acf_and_pacf_bars_are_statsmodels_values() -> None:
    values = seasonal(60, 12)

    figure = plot_autocorrelation(
        long_table({"s": values}), {"s": {"season_length": 12}}, COLUMNS, ReportingParams()
    )

    acf_bars, upper, lower, pacf_bars = figure.data[:4]
    # lags 1 to 24 (60 points allow up to 29)
    assert list(acf_bars.x) == list(range(1, 25))
    np.testing.assert_allclose(acf_bars.y, acf(values, nlags=24, fft=False)[1:], atol=5e-7)
    np.testing.assert_allclose(pacf_bars.y, pacf(values, 24, method="ywm")[1:], atol=5e-7)
    band = round(1.96 / np.sqrt(60), 6)
    assert list(upper.y) == [band, band] and list(lower.y) == [-band, -band]
    colours = list(acf_bars.marker.color)
    assert colours[11] == colours[23] != colours[0]  # lags 12 and 24 are seasonal
    assert (acf_bars.xaxis, pacf_bars.xaxis) == ("x", "x2")


def test_lags_are_capped_by_the_series_length() -> None:
    values = seasonal(20, 4)

    figure = plot_autocorrelation(
        long_table({"s": values}), {"s": {"season_length": 4}}, COLUMNS, ReportingParams()
    )

    assert list(figure.data[0].x) == list(range(1, 10))  # 20 // 2 - 1
