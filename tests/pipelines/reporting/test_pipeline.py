"""The reporting pipeline, run whole with SequentialRunner on an in-memory catalog."""

from __future__ import annotations

import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from roadmap_pipelines.params.preprocessing import TimeSeriesParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting import create_pipeline


def test_reporting_pipeline_profiles_train_and_plots_series() -> None:
    train = pd.DataFrame(
        {
            "y": pd.Categorical(["a", "b", "a", "a"]),
            "x1": [1.0, 2.0, 3.0, 4.0],
            "x2": pd.array([8, 6, 4, 2], dtype="Int64"),
        }
    )
    series = pd.DataFrame(
        {
            "id": ["s"] * 3,
            "t": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"]),
            "v": [1.0, 2.0, 3.0],
        }
    )
    columns = TimeSeriesParams(dataset="ts", id_column="id", time_column="t", value_column="v")
    catalog = DataCatalog(
        {
            "credit.tabular_train": MemoryDataset(train),
            "ames.tabular_train": MemoryDataset(train.rename(columns={"x2": "x3"})),
            "timeseries_clean": MemoryDataset(series),
            "params:reporting": MemoryDataset(ReportingParams(correlation_method="pearson")),
            "params:preprocessing.timeseries": MemoryDataset(columns),
        }
    )

    # the segmentation figures (tagged) are tested in test_segmentation_nodes.py
    eda = create_pipeline() - create_pipeline().only_nodes_with_tags("segmentation")
    outputs = SequentialRunner().run(eda, catalog)

    per_task = {"column_profile", "category_counts", "correlation_heatmap"}
    assert set(outputs) == {
        f"{task}.{name}" for task in ("credit", "ames") for name in per_task
    } | {"timeseries_overview"}
    profile = outputs["credit.column_profile"].load().set_index("column")
    assert profile.loc["x1", "mean"] == 2.5
    assert outputs["credit.category_counts"].load() == {"y": {"a": 3, "b": 1}}
    heatmap = outputs["credit.correlation_heatmap"].load()
    assert heatmap.data[0].z.tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert set(outputs["ames.column_profile"].load()["column"]) == {"y", "x1", "x3"}
    assert list(outputs["timeseries_overview"].load().data[0].y) == [1.0, 2.0, 3.0]
