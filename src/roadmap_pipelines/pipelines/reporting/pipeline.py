"""Wire the EDA nodes: per tabular task the profile, categories and correlations of the train
split with their plot, and an overview of the time series."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.reporting.nodes import (
    correlate_features,
    plot_correlations,
    plot_timeseries,
    profile_columns,
    summarise_categories,
)
from roadmap_pipelines.pipelines.reporting.segmentation_nodes import segmentation_reports
from roadmap_pipelines.tabular_tasks import for_each_task

PARAMS = "params:reporting"


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``reporting`` pipeline."""
    tabular = for_each_task(_tabular_eda(), task_parameters=(), shared=(PARAMS,))
    tabular += for_each_task(segmentation_reports(), task_parameters=())
    return tabular + Pipeline(
        [
            Node(
                plot_timeseries,
                ["timeseries_clean", "params:preprocessing.timeseries", PARAMS],
                "timeseries_overview",
                name="plot_timeseries",
            ),
        ]
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
        ]
    )
