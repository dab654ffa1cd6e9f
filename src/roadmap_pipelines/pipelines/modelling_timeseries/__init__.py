"""Roadmap step 7, time series: stationarity tests, SARIMA with automatic order selection,
exponential smoothing, baselines and (when listed in ``models``) Theta and a global LightGBM
model, rolling-origin backtests and forecasts with intervals."""

from roadmap_pipelines.pipelines.modelling_timeseries.pipeline import create_pipeline

__all__ = ["create_pipeline"]
