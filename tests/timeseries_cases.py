"""Small, fast inputs and parameters for the time-series modelling tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams
from roadmap_pipelines.params.preprocessing import TimeSeriesParams


def fast_params(**overrides: Any) -> ModellingTimeseriesParams:
    """Every model, two folds of 4 steps, small search bounds, few trees: seconds, not minutes."""
    values: dict[str, Any] = {
        "models": ["arima", "ets", "lightgbm", "naive", "seasonal_naive", "drift"],
        "horizon": 4,
        "n_jobs": 1,
        "backtest": {"folds": 2, "horizon": 4, "step": 4, "min_train_seasons": 3},
        "arima": {
            "max_p": 1,
            "max_q": 1,
            "max_P": 1,
            "max_Q": 1,
            "max_order": 3,
            "start_p": 1,
            "start_q": 1,
            "start_P": 0,
            "start_Q": 0,
            "transform": {"method": "none"},
        },
        "ets": {"transform": {"method": "none"}},
        "lightgbm": {
            "lags": [1],
            "seasonal_lags": [1],
            "n_estimators": 20,
            "min_child_samples": 5,
        },
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return ModellingTimeseriesParams.model_validate(values)


def columns(**overrides: Any) -> TimeSeriesParams:
    """``preprocessing.timeseries`` as shipped (only the column names matter here)."""
    values = {
        "dataset": "timeseries_raw",
        "id_column": "series_id",
        "time_column": "timestamp",
        "value_column": "value",
    }
    values.update(overrides)
    return TimeSeriesParams(**values)


def quarterly(series_id: str, n: int = 40, seed: int = 0, level: float = 100.0) -> pd.DataFrame:
    """A trending quarterly series with a strong seasonal pattern and some noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level + 0.8 * t + 10 * np.array([1.0, -0.5, 0.8, -1.3])[t % 4] + rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "series_id": series_id,
            "timestamp": pd.date_range("2000-01-01", periods=n, freq="QS"),
            "value": values,
        }
    )


def summary_for(table: pd.DataFrame, frequency: str = "QS", season_length: int = 4) -> dict:
    """A ``timeseries_summary`` entry for every series of ``table``."""
    return {
        series_id: {
            "frequency": frequency,
            "season_length": season_length,
            "n_points": len(points),
            "start": str(points["timestamp"].min().date()),
            "end": str(points["timestamp"].max().date()),
        }
        for series_id, points in table.groupby("series_id")
    }


OUTPUTS = {
    "ts_stationarity",
    "ts_decomposition",
    "ts_backtest_errors",
    "ts_backtest_metrics",
    "ts_leaderboard",
    "ts_forecasts",
    "ts_models",
    "ts_model_summary",
    "ts_failures",
    "ts_series_status",
}


def run_pipeline(
    table: pd.DataFrame,
    params: ModellingTimeseriesParams,
    names: TimeSeriesParams | None = None,
    summary: dict | None = None,
) -> dict:
    """Run ``modelling_timeseries`` with SequentialRunner on an in-memory catalog."""
    from kedro.io import DataCatalog, MemoryDataset
    from kedro.runner import SequentialRunner

    from roadmap_pipelines.pipelines.modelling_timeseries import create_pipeline

    class KeptDataset(MemoryDataset):
        """A MemoryDataset the runner cannot release, so intermediate outputs can be checked."""

        def _release(self) -> None:
            pass

    names = names or columns()
    catalog = DataCatalog(
        {
            "timeseries_clean": MemoryDataset(table),
            "timeseries_summary": MemoryDataset(
                summary
                or summary_for(
                    table.rename(
                        columns={names.id_column: "series_id", names.time_column: "timestamp"}
                    )
                )
            ),
            "params:preprocessing.timeseries": MemoryDataset(names),
            "params:modelling_timeseries": MemoryDataset(params),
            "params:random_state": MemoryDataset(42),
            **{name: KeptDataset() for name in OUTPUTS},
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    return {name: catalog[name].load() for name in OUTPUTS}
