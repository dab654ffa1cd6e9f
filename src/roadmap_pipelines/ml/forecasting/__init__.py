"""Forecasting: series, stationarity, SARIMA, baselines, a global model, backtests, refits."""
