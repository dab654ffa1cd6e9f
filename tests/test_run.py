"""End-to-end: the default ``kedro run`` in a real session, on a copy of the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from project_runs import (
    PROJECT_ROOT,
    copy_project,
    differing_files,
    dvc_output_paths,
    output_digests,
    run_session,
)
from task_config import requires_tasks

# example-data tests: exact counts of the shipped tables
pytestmark = requires_tasks("credit", "ames")

RAW_CREDIT_ROWS = 4454
EXACT_DUPLICATES_IN_CREDIT = 2


def test_registry_names_every_pipeline() -> None:
    bootstrap_project(PROJECT_ROOT)
    deployment = ("inference", "monitoring")
    assert {"preprocessing", "reporting", *deployment, "__default__"} <= set(pipelines)
    default_nodes = {node.name for node in pipelines["__default__"].nodes}
    for name in ("preprocessing", "reporting", *deployment):
        assert {node.name for node in pipelines[name].nodes} <= default_nodes


def test_default_run_writes_clean_train_and_test(default_run: Path) -> None:
    train = pd.read_parquet(default_run / "data/03_primary/credit/train.parquet")
    test = pd.read_parquet(default_run / "data/03_primary/credit/test.parquet")

    assert len(train) + len(test) == RAW_CREDIT_ROWS - EXACT_DUPLICATES_IN_CREDIT
    assert len(test) == pytest.approx(0.2 * (len(train) + len(test)), abs=1)
    assert train.isna().sum().sum() == 0
    assert test.isna().sum().sum() == 0
    # stratified: the share of "bad" loans matches in both splits
    assert (train["Status"] == "bad").mean() == pytest.approx(
        (test["Status"] == "bad").mean(), abs=0.002
    )
    assert train["Debt_outlier"].dtype == bool


def test_default_run_splits_the_regression_task_too(default_run: Path) -> None:
    raw = pd.read_parquet(default_run / "data/01_raw/ames.parquet")
    train = pd.read_parquet(default_run / "data/03_primary/ames/train.parquet")
    test = pd.read_parquet(default_run / "data/03_primary/ames/test.parquet")
    rules = json.loads((default_run / "data/02_intermediate/ames/cleaning_rules.json").read_text())

    # area outliers (IQR x 3 on train) are dropped from train only; test keeps every row
    upper = rules["outliers"]["area"]["upper"]
    assert train["area"].max() <= upper < raw["area"].max()
    assert len(test) == pytest.approx(0.2 * len(raw), abs=1)
    assert set(train["PID"]).isdisjoint(test["PID"])
    assert train["price"].dtype == float
    # Pool.QC is missing for >99% of houses: dropped by drop_columns_missing_over
    assert "Pool.QC" not in train and "Pool.QC" not in test
    assert train["Lot.Frontage"].notna().all()


def test_default_run_cleaning_rules_come_from_train_only(default_run: Path) -> None:
    rules = json.loads(
        (default_run / "data/02_intermediate/credit/cleaning_rules.json").read_text()
    )
    raw = pd.read_csv(default_run / "data/01_raw/credit.csv")
    train = pd.read_parquet(default_run / "data/03_primary/credit/train.parquet")

    assert rules["impute"]["Debt"] == 0
    assert rules["impute"]["Home"] == "owner"
    # the clipped Income column ends exactly at the train-fitted upper bound
    assert train["Income"].max() == rules["outliers"]["Income"]["upper"]
    assert raw["Income"].max() > rules["outliers"]["Income"]["upper"]


def test_default_run_regularises_every_series(default_run: Path) -> None:
    series = pd.read_parquet(default_run / "data/03_primary/timeseries.parquet")
    summary = json.loads((default_run / "data/03_primary/timeseries_summary.json").read_text())

    assert sorted(summary) == sorted(series["series_id"].unique())
    assert len(summary) == 6
    assert summary["air_passengers"] == {
        "frequency": "MS",
        "season_length": 12,
        "start": "1949-01-01",
        "end": "1960-12-01",
        "n_points": 144,
    }
    assert summary["uk_gas"]["season_length"] == 4
    air = series.loc[series["series_id"] == "air_passengers", "value"]
    assert air.iloc[:3].tolist() == [112.0, 118.0, 132.0]  # Box & Jenkins, January 1949 on


def test_default_run_writes_quality_report_and_eda(default_run: Path) -> None:
    report = json.loads(
        (default_run / "data/08_reporting/credit/data_quality_report.json").read_text()
    )
    totals = {
        (row["dataset"], row["stage"], row["rule"], row["split"]): row["count"]
        for row in report["totals"]
    }
    assert totals[("credit.tabular_raw", "input", "rows_in", "all")] == RAW_CREDIT_ROWS
    assert (
        totals[("credit.tabular_raw", "rows", "duplicate_row", "all")] == EXACT_DUPLICATES_IN_CREDIT
    )
    raw = pd.read_csv(default_run / "data/01_raw/credit.csv")
    imputed = (
        totals[("credit.tabular_raw", "missing", "impute", "train")]
        + totals[("credit.tabular_raw", "missing", "impute", "test")]
    )
    assert imputed == raw[["Income", "Assets", "Debt", "Home", "Marital", "Job"]].isna().sum().sum()
    assert report["parameters"]["target"] == "Status"

    profile = pd.read_csv(default_run / "data/08_reporting/credit/column_profile.csv")
    train = pd.read_parquet(default_run / "data/03_primary/credit/train.parquet")
    assert profile.set_index("column").loc["Age", "mean"] == pytest.approx(
        train["Age"].astype(float).mean(), abs=1e-6
    )
    counts = json.loads((default_run / "data/08_reporting/credit/category_counts.json").read_text())
    assert sum(counts["Status"].values()) == len(train)
    heatmap = json.loads(
        (default_run / "data/08_reporting/credit/correlation_heatmap.json").read_text()
    )
    assert heatmap["data"][0]["type"] == "heatmap"
    assert "Age" in heatmap["data"][0]["x"]
    overview = json.loads((default_run / "data/08_reporting/timeseries/overview.json").read_text())
    assert len(overview["data"]) == 6


def _working_tree_data() -> dict[str, tuple[int, int]]:
    return {
        str(path): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted((PROJECT_ROOT / "data").rglob("*"))
        if path.is_file()
    }


def test_run_never_writes_into_the_working_tree(project: Path) -> None:
    before = _working_tree_data()

    run_session(project)

    assert _working_tree_data() == before
    assert "data/03_primary/credit/train.parquet" in output_digests(project)


def test_two_runs_give_byte_identical_outputs(default_run: Path, tmp_path: Path) -> None:
    again = copy_project(tmp_path / "again")
    run_session(again)
    first, second = output_digests(default_run), output_digests(again)

    # every output DVC tracks (models, tables, metrics, plot data) is compared, and a run
    # writes nothing DVC does not track
    outputs = dvc_output_paths()
    untracked = [path for path in first if not any(_is_within(path, out) for out in outputs)]
    unwritten = [out for out in outputs if not any(_is_within(path, out) for path in first)]
    assert not untracked, f"outputs no DVC stage declares (run `kedro dvc sync`): {untracked}"
    assert not unwritten, f"dvc.yaml outputs the default run did not write: {unwritten}"
    differing = differing_files(first, second)
    assert not differing, f"two runs of the same code, data and parameters differ: {differing}"


def test_kedro_run_in_forked_groups_gives_the_sequential_runs_bytes(
    default_run: Path, tmp_path: Path
) -> None:
    """`kedro run` (the project's GroupRunner: each task, the time series and the report in
    their own processes) writes the same files, byte for byte, as a sequential run."""
    project = copy_project(tmp_path / "grouped")
    kedro = Path(sys.executable).with_name("kedro")
    result = subprocess.run(
        [str(kedro), "run"],
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "OMP_WAIT_POLICY": "passive"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    forked = [line for line in output.splitlines() if "node(s) in process" in line]
    assert len(forked) >= 3, output[-3000:]  # the two tasks and the time series at least
    expected = len(pipelines["__default__"].nodes)
    assert f"run finished: {expected} nodes in " in output
    assert not differing_files(output_digests(default_run), output_digests(project))


def _is_within(path: str, output: str) -> bool:
    return path == output or path.startswith(f"{output}/")


def test_differing_files_names_every_file_that_differs() -> None:
    first = {"data/a.json": "1", "data/b.csv": "2", "data/c.parquet": "3"}
    second = {"data/a.json": "1", "data/b.csv": "changed", "data/d.pkl": "4"}

    assert differing_files(first, second) == ["data/b.csv", "data/c.parquet", "data/d.pkl"]


def test_cli_run_logs_each_node_and_leaves_pyproject_alone(project: Path) -> None:
    """`kedro run` from a terminal: no telemetry prompt, a timed line per node, a summary."""
    bootstrap_project(PROJECT_ROOT)
    pyproject = (project / "pyproject.toml").read_bytes()
    environment = {
        key: value for key, value in os.environ.items() if key != "KEDRO_DISABLE_TELEMETRY"
    }
    environment["KEDRO_LOGGING_CONFIG"] = str(PROJECT_ROOT / "conf/logging.yml")
    kedro = Path(sys.executable).with_name("kedro")
    result = subprocess.run(
        [str(kedro), "run", "--pipelines=preprocessing"],
        cwd=project,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "telemetry" not in output.lower()
    timed = [line for line in output.splitlines() if " node " in line and line.endswith(" s")]
    expected = {node.name for node in pipelines["preprocessing"].nodes}
    assert sorted(line.split(" node ")[1].split()[0] for line in timed) == sorted(expected)
    assert f"run finished: {len(expected)} nodes in " in output
    assert (project / "pyproject.toml").read_bytes() == pyproject
