"""The preprocessing pipeline, run whole with SequentialRunner on an in-memory catalog."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from roadmap_pipelines.params.preprocessing import PreprocessingParams
from roadmap_pipelines.pipelines.preprocessing import create_pipeline
from task_config import requires_tasks, task_parameter_inputs

# example-data tests: the shipped tables and their parameters
pytestmark = requires_tasks("credit", "ames")
TASKS = ("credit", "ames")

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def params() -> PreprocessingParams:
    raw = yaml.safe_load((ROOT / "conf/base/parameters_preprocessing.yml").read_text())
    return PreprocessingParams.model_validate(raw["preprocessing"])


def _catalog(params: PreprocessingParams, credit: pd.DataFrame) -> DataCatalog:
    return DataCatalog(
        {
            "credit.tabular_raw": MemoryDataset(credit),
            "ames.tabular_raw": MemoryDataset(pd.read_parquet(ROOT / "data/01_raw/ames.parquet")),
            "timeseries_raw": MemoryDataset(pd.read_csv(ROOT / "data/01_raw/timeseries.csv")),
            "params:preprocessing.tabular.credit": MemoryDataset(params.tabular["credit"]),
            "params:preprocessing.tabular.ames": MemoryDataset(params.tabular["ames"]),
            **{
                name: MemoryDataset(value)
                for task in TASKS
                for name, value in task_parameter_inputs(task).items()
                if not name.endswith(".problem")
            },
            "params:preprocessing.timeseries": MemoryDataset(params.timeseries),
            "params:preprocessing": MemoryDataset(params),
            "params:random_state": MemoryDataset(42),
        }
    )


def test_pipeline_runs_the_tabular_part_once_per_task_under_its_namespace() -> None:
    pipeline = create_pipeline(tasks=TASKS)
    assert {"credit.cleaning_rules", "ames.cleaning_rules"} <= pipeline.all_outputs()
    assert pipeline.inputs() == {
        "credit.tabular_raw",
        "ames.tabular_raw",
        "timeseries_raw",
        "params:preprocessing.tabular.credit",
        "params:preprocessing.tabular.ames",
        "params:tasks.credit",
        "params:tasks.ames",
        "params:preprocessing.timeseries",
        "params:preprocessing",
        "params:random_state",
    }
    per_task = {"tabular_train", "tabular_test", "data_quality_report", "data_quality_table"}
    assert pipeline.outputs() == {
        f"{task}.{name}" for task in ("credit", "ames") for name in per_task
    } | {
        "timeseries_clean",
        "timeseries_summary",
        "timeseries_quality_report",
        "timeseries_quality_table",
    }


def test_pipeline_cleans_messy_rows_end_to_end(params: PreprocessingParams) -> None:
    raw = pd.read_csv(ROOT / "data/01_raw/credit.csv")
    messy = raw.copy()
    messy.loc[0, "Home"] = "  RENT "  # normalised to "rent"
    messy = pd.concat([messy, messy.iloc[[5, 6]]], ignore_index=True)  # two more duplicates

    outputs = SequentialRunner().run(create_pipeline(tasks=TASKS), _catalog(params, messy))
    catalog_outputs = {name: outputs[name].load() for name in outputs}
    train, test = catalog_outputs["credit.tabular_train"], catalog_outputs["credit.tabular_test"]

    assert len(train) + len(test) == len(raw) - 2  # the two shipped duplicates plus ours: 4
    assert train.isna().sum().sum() == 0 and test.isna().sum().sum() == 0
    table = catalog_outputs["credit.data_quality_table"]
    counts = table.set_index(["stage", "rule", "column", "split"])["count"]
    assert counts[("normalise", "strings", "Home", "all")] == 1
    assert counts[("rows", "duplicate_row", None, "all")] == 4
    assert set(catalog_outputs["timeseries_clean"]["series_id"]) == set(
        catalog_outputs["timeseries_summary"]
    )


def test_pipeline_is_deterministic_for_a_seed(params: PreprocessingParams) -> None:
    raw = pd.read_csv(ROOT / "data/01_raw/credit.csv")
    first = SequentialRunner().run(create_pipeline(tasks=TASKS), _catalog(params, raw))
    second = SequentialRunner().run(create_pipeline(tasks=TASKS), _catalog(params, raw))

    for name in ("credit.tabular_train", "ames.tabular_test", "timeseries_clean"):
        pd.testing.assert_frame_equal(first[name].load(), second[name].load())
    for name in ("credit.data_quality_report", "ames.data_quality_report"):
        assert first[name].load() == second[name].load()
