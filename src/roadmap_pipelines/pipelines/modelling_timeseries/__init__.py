"""Roadmap step 7, time series: stationarity tests, SARIMA with automatic order selection,
baselines and a global LightGBM model, rolling-origin backtests and forecasts with intervals."""

from roadmap_pipelines.pipelines.modelling_timeseries.pipeline import create_pipeline

__all__ = ["create_pipeline"]
