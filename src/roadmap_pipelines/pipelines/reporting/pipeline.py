"""Wire the reports: per tabular task the EDA of its train split and the reports on its model,
the EDA of the time series, the forecasts of the time-series models, and one HTML page
gathering them."""

import warnings

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.reporting.eda_figure_nodes import (
    plot_feature_distributions,
    plot_feature_pairs,
    plot_missing_values,
    plot_target_distribution,
)
from roadmap_pipelines.pipelines.reporting.evaluation_figure_nodes import plot_model_evaluation
from roadmap_pipelines.pipelines.reporting.evaluation_nodes import (
    classification_curves,
    residual_points,
)
from roadmap_pipelines.pipelines.reporting.forecast_nodes import (
    backtest_error_by_horizon,
    plot_backtest_errors,
    plot_forecasts,
    plot_model_comparison,
)
from roadmap_pipelines.pipelines.reporting.importance_nodes import (
    compute_feature_importance,
    plot_feature_importance,
)
from roadmap_pipelines.pipelines.reporting.model_nodes import (
    leaderboard_scores,
    plot_leaderboard,
    plot_search_history,
    summarise_metrics,
)
from roadmap_pipelines.pipelines.reporting.nodes import (
    correlate_features,
    plot_correlations,
    plot_timeseries,
    profile_columns,
    rank_target_associations,
    summarise_categories,
)
from roadmap_pipelines.pipelines.reporting.report_nodes import (
    FORECASTS,
    SERIES,
    TASK_GROUPS,
    build_html_report,
    report_keys,
)
from roadmap_pipelines.pipelines.reporting.segmentation_nodes import segmentation_reports
from roadmap_pipelines.pipelines.reporting.timeseries_nodes import (
    decompose_series,
    plot_autocorrelation,
    plot_decomposition,
)
from roadmap_pipelines.project.tasks import current_tasks, for_each_task

PARAMS = "params:reporting"
SEED = "params:random_state"
TABULAR = "params:task"
PROBLEM = "params:problem"
MODELLING = "params:modelling_tabular"
COLUMNS = "params:preprocessing.timeseries"

# what the HTML page shows of each task, and of the time series: one list, report_nodes.REPORTS
TASK_REPORTS = report_keys(*TASK_GROUPS)
TIMESERIES_REPORTS = report_keys(SERIES)
FORECAST_REPORTS = report_keys(FORECASTS)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``reporting`` pipeline.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    tasks = tuple(kwargs["tasks"]) if kwargs.get("tasks") is not None else current_tasks()
    tabular = for_each_task(
        _tabular_eda() + _model_reports(),
        task_parameters=("modelling_tabular",),
        shared=(PARAMS, SEED),
        tasks=tasks,
    )
    tabular += for_each_task(segmentation_reports(), task_parameters=(), tasks=tasks)
    return (
        tabular
        + _timeseries_eda()
        + _forecast_reports()
        + _html_report(tasks, TIMESERIES_REPORTS + FORECAST_REPORTS)
    )


def _tabular_eda() -> Pipeline:
    return Pipeline(
        [
            Node(profile_columns, "tabular_train", "column_profile", name="profile_columns"),
            Node(
                summarise_categories,
                ["tabular_train", PARAMS],
                "category_counts",
                name="summarise_categories",
            ),
            Node(
                correlate_features,
                ["tabular_train", PARAMS],
                "feature_correlations",
                name="correlate_features",
            ),
            Node(
                plot_correlations,
                ["feature_correlations", PARAMS],
                "correlation_heatmap",
                name="plot_correlations",
            ),
            Node(
                plot_target_distribution,
                ["tabular_train", TABULAR, PROBLEM, PARAMS],
                "target_distribution",
                name="plot_target_distribution",
            ),
            Node(
                plot_feature_distributions,
                ["tabular_train", TABULAR, PROBLEM, PARAMS],
                "feature_distributions",
                name="plot_feature_distributions",
            ),
            Node(
                plot_missing_values,
                "train_uncleaned",
                ["missing_values", "missing_values_png"],
                name="plot_missing_values",
            ),
            Node(
                rank_target_associations,
                ["tabular_train", TABULAR, PROBLEM],
                "target_associations",
                name="rank_target_associations",
            ),
            Node(
                plot_feature_pairs,
                ["tabular_train", "target_associations", TABULAR, PROBLEM, PARAMS, SEED],
                "feature_pairs",
                name="plot_feature_pairs",
            ),
        ]
    )


def _model_reports() -> Pipeline:
    return Pipeline(
        [
            Node(
                summarise_metrics,
                ["test_metrics", "leaderboard"],
                "metrics",
                name="summarise_metrics",
            ),
            Node(
                leaderboard_scores,
                ["leaderboard", MODELLING],
                "leaderboard_scores",
                name="leaderboard_scores",
            ),
            Node(
                plot_leaderboard,
                ["leaderboard_scores", MODELLING],
                "leaderboard_chart",
                name="plot_leaderboard",
            ),
            Node(
                plot_search_history,
                ["search_trials", MODELLING],
                "search_history",
                name="plot_search_history",
            ),
            Node(
                classification_curves,
                ["test_predictions", "test_metrics", PROBLEM, PARAMS],
                ["roc_points", "pr_points", "calibration_points"],
                name="classification_curves",
            ),
            Node(
                residual_points,
                ["test_predictions", PROBLEM],
                "residual_points",
                name="residual_points",
            ),
            Node(
                plot_model_evaluation,
                [
                    "test_predictions",
                    "test_metrics",
                    "roc_points",
                    "pr_points",
                    "calibration_points",
                    "residual_points",
                    PROBLEM,
                    PARAMS,
                ],
                "model_evaluation",
                name="plot_model_evaluation",
            ),
            Node(
                compute_feature_importance,
                ["model", "feature_test", MODELLING, TABULAR, PROBLEM, PARAMS, SEED],
                "feature_importance",
                name="compute_feature_importance",
            ),
            Node(
                plot_feature_importance,
                ["feature_importance", PARAMS],
                "feature_importance_chart",
                name="plot_feature_importance",
            ),
        ]
    )


def _timeseries_eda() -> Pipeline:
    return Pipeline(
        [
            Node(
                plot_timeseries,
                ["timeseries_clean", COLUMNS, PARAMS],
                "timeseries_overview",
                name="plot_timeseries",
            ),
            Node(
                decompose_series,
                ["timeseries_clean", "timeseries_summary", COLUMNS, PARAMS],
                "timeseries_stl",
                name="decompose_series",
            ),
            Node(
                plot_decomposition,
                "timeseries_stl",
                "timeseries_decomposition",
                name="plot_decomposition",
            ),
            Node(
                plot_autocorrelation,
                ["timeseries_clean", "timeseries_summary", COLUMNS, PARAMS],
                "timeseries_autocorrelation",
                name="plot_autocorrelation",
            ),
        ]
    )


def _forecast_reports() -> Pipeline:
    """Reports on the modelling_timeseries outputs (ts_forecasts, ts_backtest_errors,
    ts_leaderboard) against the cleaned series."""
    return Pipeline(
        [
            Node(
                plot_forecasts,
                [
                    "ts_forecasts",
                    "ts_leaderboard",
                    "timeseries_clean",
                    "timeseries_summary",
                    COLUMNS,
                    PARAMS,
                ],
                "forecast_chart",
                name="plot_forecasts",
            ),
            Node(
                backtest_error_by_horizon,
                ["ts_backtest_errors", COLUMNS],
                "forecast_error_by_horizon",
                name="backtest_error_by_horizon",
            ),
            Node(
                plot_backtest_errors,
                ["forecast_error_by_horizon", COLUMNS, PARAMS],
                "forecast_horizon_chart",
                name="plot_backtest_errors",
            ),
            Node(
                plot_model_comparison,
                ["ts_leaderboard", COLUMNS, PARAMS],
                "forecast_model_comparison",
                name="plot_model_comparison",
            ),
        ]
    )


def _html_report(tasks: tuple[str, ...], shared_reports: tuple[str, ...]) -> Pipeline:
    """The HTML page's node: it takes every report by its catalog name, task by task."""
    names = [f"{task}.{report}" for task in tasks for report in TASK_REPORTS]
    names += list(shared_reports)
    with warnings.catch_warnings():
        # Kedro warns once per process when a node outside a namespace reads a namespaced
        # (dotted) dataset; gathering every task's reports is what this node is for.
        warnings.filterwarnings("ignore", "One or more dataset names contain '.'", UserWarning)
        node = Node(
            build_html_report,
            {name: name for name in names},
            "report_html",
            name="build_html_report",
        )
    return Pipeline([node])
