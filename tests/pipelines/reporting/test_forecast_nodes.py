"""Unit tests of the forecast reports (reporting/forecast_nodes.py) on tiny frames that follow
the modelling_timeseries output contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting.forecast_nodes import (
    OVERALL,
    backtest_error_by_horizon,
    plot_backtest_errors,
    plot_forecasts,
    plot_model_comparison,
)

COLUMNS = TimeSeriesParams(
    dataset="ts", id_column="series_id", time_column="timestamp", value_column="value"
)
STAMPS = pd.to_datetime(["2021-01-01", "2021-02-01"])


def actuals() -> pd.DataFrame:
    """Series a: 12 monthly points of 1..12; series b: 12 points of 100."""
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    return pd.DataFrame(
        {
            "series_id": ["a"] * 12 + ["b"] * 12,
            "timestamp": list(months) * 2,
            "value": [float(n) for n in range(1, 13)] + [100.0] * 12,
        }
    )


def forecasts() -> pd.DataFrame:
    """Two steps ahead for a and b, from arima and naive; naive has no intervals for b."""
    rows = []
    for series_id, level in (("a", 12.0), ("b", 100.0)):
        for model, shift in (("arima", 1.0), ("naive", 0.0)):
            for step, stamp in enumerate(STAMPS, start=1):
                mean = level + shift * step
                no_interval = series_id == "b" and model == "naive"
                rows.append(
                    {
                        "series_id": series_id,
                        "timestamp": stamp,
                        "model": model,
                        "forecast": mean,
                        "lower_80": np.nan if no_interval else mean - step,
                        "upper_80": np.nan if no_interval else mean + step,
                        "lower_95": np.nan if no_interval else mean - 2 * step,
                        "upper_95": np.nan if no_interval else mean + 2 * step,
                    }
                )
    return pd.DataFrame(rows)


def leaderboard() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": [OVERALL, OVERALL, "a", "a", "b", "b"],
            "model": ["arima", "naive", "arima", "naive", "arima", "naive"],
            "mae": [1.0, 2.0, 0.5, 1.0, 3.0, 2.0],
            "rmse": [1.0] * 6,
            "mape": [1.0] * 6,
            "smape": [1.0] * 6,
            "mase": [0.8, 1.0, 0.4, 0.8, 1.5, 1.0],
            "rank": [1, 2, 1, 2, 2, 1],
            "best": [True, False, True, False, False, True],
        }
    )


def backtest_errors() -> pd.DataFrame:
    """Series a over two folds and two steps for one model; b one fold."""
    return pd.DataFrame(
        {
            "series_id": ["a", "a", "a", "a", "b", "b"],
            "model": ["arima"] * 6,
            "fold": [0, 0, 1, 1, 0, 0],
            "step": [1, 2, 1, 2, 1, 2],
            "timestamp": pd.to_datetime(["2020-01-01"] * 6),
            "actual": [10.0, 10.0, 20.0, 0.0, 100.0, 100.0],
            "forecast": [12.0, 8.0, 20.0, 0.0, 90.0, 110.0],
        }
    )


# --- forecasts ------------------------------------------------------------------------------


def test_forecasts_draw_actuals_best_model_bands_and_other_models() -> None:
    params = ReportingParams(forecast_history_seasons=1)

    figure = plot_forecasts(
        forecasts(), leaderboard(), actuals(), {"a": {"season_length": 3}}, COLUMNS, params
    )

    a = [trace for trace in figure.data if trace.xaxis == "x"]
    assert [trace.name for trace in a] == [
        "actual",
        "95% interval",
        "80% interval",
        "arima",
        "naive",
    ]
    actual, band95, band80, arima, naive = a
    # history: max(1 season x 3, 2 x horizon 2) = the last 4 points
    assert list(actual.y) == [9.0, 10.0, 11.0, 12.0]
    assert list(actual.x) == ["2020-09-01", "2020-10-01", "2020-11-01", "2020-12-01"]
    # a closed polygon: the upper bound forward, then the lower bound backward
    assert list(band95.x) == ["2021-01-01", "2021-02-01", "2021-02-01", "2021-01-01"]
    assert list(band95.y) == [15.0, 18.0, 10.0, 11.0]
    assert list(band80.y) == [14.0, 16.0, 12.0, 12.0]
    assert list(arima.y) == [13.0, 14.0]
    assert (arima.line.dash, naive.line.dash) == ("solid", "dot")
    assert [annotation.text for annotation in figure.layout.annotations] == [
        "a (best: arima)",
        "b (best: naive)",
    ]


def test_a_best_model_without_intervals_draws_no_band() -> None:
    figure = plot_forecasts(forecasts(), leaderboard(), actuals(), {}, COLUMNS, ReportingParams())

    b = [trace.name for trace in figure.data if trace.xaxis == "x2"]
    assert b == ["actual", "arima", "naive"]
    # each legend entry once, however many subplots draw it
    shown = [trace.name for trace in figure.data if trace.showlegend]
    assert sorted(shown) == sorted(set(shown))


def test_forecast_series_are_capped_and_empty_input_is_a_note() -> None:
    capped = plot_forecasts(
        forecasts(), leaderboard(), actuals(), {}, COLUMNS, ReportingParams(max_series_plotted=1)
    )
    empty = plot_forecasts(
        forecasts().iloc[0:0], leaderboard(), actuals(), {}, COLUMNS, ReportingParams()
    )

    assert {trace.xaxis for trace in capped.data} == {"x"}
    assert empty.data == () and empty.layout.annotations[0].text == "There are no forecasts."


def test_forecasts_follow_the_configured_column_names() -> None:
    columns = TimeSeriesParams(dataset="ts", id_column="sid", time_column="ts", value_column="y")
    rename = {"series_id": "sid", "timestamp": "ts"}

    figure = plot_forecasts(
        forecasts().rename(columns=rename),
        leaderboard().rename(columns=rename),
        actuals().rename(columns={**rename, "value": "y"}),
        {},
        columns,
        ReportingParams(),
    )

    assert figure.data[0].y[-1] == 12.0


# --- backtest error by horizon --------------------------------------------------------------


def test_error_by_horizon_averages_folds_then_series() -> None:
    # a, step 1: |10-12| = 2 and 0 -> MAE 1; sMAPE 2*2/22 = 0.181818 and 0 -> 9.0909 %.
    # a, step 2: |10-8| = 2 and a 0/0 term that counts 0 -> MAE 1; sMAPE 2*2/18 / 2 = 11.1111 %.
    # b, step 1: 10 -> sMAPE 2*10/190 = 10.526316 %; step 2: 2*10/210 = 9.52381 %.
    table = backtest_error_by_horizon(backtest_errors(), COLUMNS)

    rows = {(r.series_id, r.step): r for r in table.itertuples()}
    assert (rows["a", 1].mae, rows["a", 1].smape, rows["a", 1].n) == (1.0, 9.090909, 2)
    assert (rows["a", 2].mae, rows["a", 2].smape) == (1.0, 11.111111)
    assert (rows["b", 1].mae, rows["b", 1].smape, rows["b", 1].n) == (10.0, 10.526316, 1)
    # overall: the mean of the series' sMAPE, equal weight per series; no MAE across units
    assert rows[OVERALL, 1].smape == pytest.approx((9.090909 + 10.526316) / 2, abs=1e-6)
    assert rows[OVERALL, 1].n == 3
    assert np.isnan(rows[OVERALL, 1].mae)
    assert table["series_id"].tolist()[:2] == [OVERALL, OVERALL]
    assert list(table.columns) == ["series_id", "model", "step", "mae", "smape", "n"]


def test_error_by_horizon_figure_has_an_overall_panel_then_one_per_series() -> None:
    errors = pd.concat(
        [backtest_errors(), backtest_errors().assign(model="naive", forecast=50.0)],
        ignore_index=True,
    )
    table = backtest_error_by_horizon(errors, COLUMNS)

    figure = plot_backtest_errors(table, COLUMNS, ReportingParams())

    assert [a.text for a in figure.layout.annotations] == ["all series (mean of series)", "a", "b"]
    overall_arima = figure.data[0]
    assert (overall_arima.name, overall_arima.xaxis) == ("arima", "x")
    expected = table[(table["series_id"] == OVERALL) & (table["model"] == "arima")]
    assert list(overall_arima.y) == expected["smape"].tolist()
    naive = [trace for trace in figure.data if trace.name == "naive"]
    assert {trace.line.dash for trace in naive} == {"dash"}  # the first default baseline
    assert [trace.showlegend for trace in figure.data] == [True, True] + [False] * 4


# --- model comparison -----------------------------------------------------------------------


def test_model_comparison_bars_overall_and_ratios_to_the_best_baseline() -> None:
    figure = plot_model_comparison(leaderboard(), COLUMNS, ReportingParams())

    bars, heatmap = figure.data
    assert list(bars.x) == ["arima", "naive"]  # best first
    assert list(bars.y) == [0.8, 1.0]
    assert bars.marker.color[0] != bars.marker.color[1]
    # models first, then baselines; each series' MASE over its best baseline's (naive here)
    assert list(heatmap.x) == ["arima", "naive"]
    assert list(heatmap.y) == ["a", "b"]
    assert [list(row) for row in heatmap.z] == [[0.5, 1.0], [1.5, 1.0]]
    assert [list(row) for row in heatmap.customdata] == [[0.4, 0.8], [1.5, 1.0]]
    assert heatmap.zmid == 1


def test_model_comparison_uses_the_configured_metric() -> None:
    figure = plot_model_comparison(leaderboard(), COLUMNS, ReportingParams(forecast_metric="mae"))

    bars, heatmap = figure.data
    assert list(bars.y) == [1.0, 2.0]
    assert [list(row) for row in heatmap.z] == [[0.5, 1.0], [1.5, 1.0]]
    assert figure.layout.title.text.startswith("Model comparison on backtests: mae")
