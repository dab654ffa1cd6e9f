"""Forecasting models usable outside Kedro (plain numpy in, plain data out)."""
