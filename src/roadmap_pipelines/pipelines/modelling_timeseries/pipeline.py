"""Wire the time-series modelling nodes: checks → stationarity → backtest → leaderboard →
refit and forecast, with every stage's failures gathered into one report."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.modelling_timeseries.nodes import (
    assess_stationarity,
    backtest_models,
    collect_failures,
    fit_final_models,
    prepare_series,
    rank_models,
)
from roadmap_pipelines.project.numeric_env import BLAS_TAG

PARAMS = "params:modelling_timeseries"
COLUMNS = "params:preprocessing.timeseries"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``modelling_timeseries`` pipeline."""
    return Pipeline(
        [
            Node(
                prepare_series,
                inputs=["timeseries_clean", "timeseries_summary", COLUMNS, PARAMS],
                outputs=["ts_series", "ts_failures_input", "ts_series_status"],
                name="prepare_series",
            ),
            Node(
                assess_stationarity,
                inputs=["ts_series", COLUMNS, PARAMS],
                outputs=["ts_stationarity", "ts_decomposition", "ts_failures_stationarity"],
                name="assess_stationarity",
            ),
            Node(
                backtest_models,
                inputs=["ts_series", COLUMNS, PARAMS, "params:random_state"],
                outputs=["ts_backtest_errors", "ts_backtest_metrics", "ts_failures_backtest"],
                name="backtest_models",
            ),
            Node(
                rank_models,
                inputs=["ts_backtest_metrics", COLUMNS, PARAMS],
                outputs="ts_leaderboard",
                name="rank_models",
            ),
            Node(
                fit_final_models,
                inputs=[
                    "ts_series",
                    "ts_stationarity",
                    "ts_leaderboard",
                    "ts_backtest_errors",
                    COLUMNS,
                    PARAMS,
                    "params:random_state",
                ],
                outputs=["ts_forecasts", "ts_models", "ts_model_summary", "ts_failures_refit"],
                name="fit_final_models",
            ),
            Node(
                collect_failures,
                inputs=[
                    "ts_failures_input",
                    "ts_failures_stationarity",
                    "ts_failures_backtest",
                    "ts_failures_refit",
                    COLUMNS,
                ],
                outputs="ts_failures",
                name="collect_failures",
            ),
        ],
        # tagged: SARIMA and the stationarity tests' regressions go through BLAS, whose
        # kernel (chosen per CPU) moves their last bits
        tags=BLAS_TAG,
    )
