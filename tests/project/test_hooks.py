"""Project hooks: per-node timing lines, the rollback of a failed run's outputs, the engine."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner
from kedro_datasets.pandas import CSVDataset

from roadmap_pipelines.project.execution_hooks import ExecutionError, ExecutionHooks
from roadmap_pipelines.project.hooks import NodeTimingHooks
from roadmap_pipelines.project.rollback_hooks import RunRollbackHooks


def _double(frame: pd.DataFrame) -> pd.DataFrame:
    return frame * 2


def _fail(frame: pd.DataFrame) -> pd.DataFrame:
    raise ValueError("second node breaks")


def _two_step_pipeline(second) -> Pipeline:
    return Pipeline(
        [
            Node(_double, "source", "existing", name="write_existing"),
            Node(_double, "existing", "created", name="write_created"),
            Node(second, "created", "last", name="last_step"),
        ]
    )


@pytest.fixture
def catalog(tmp_path: Path) -> DataCatalog:
    existing = tmp_path / "existing.csv"
    existing.write_text("a\n100\n")
    return DataCatalog(
        {
            "source": MemoryDataset(pd.DataFrame({"a": [1, 2]})),
            "existing": CSVDataset(filepath=str(existing), save_args={"index": False}),
            "created": CSVDataset(filepath=str(tmp_path / "created.csv")),
            "last": MemoryDataset(),
        }
    )


def _run_with_hooks(pipeline: Pipeline, catalog: DataCatalog, hooks: RunRollbackHooks) -> None:
    from kedro.framework.hooks.manager import _create_hook_manager

    manager = _create_hook_manager()
    manager.register(hooks)
    hooks.before_pipeline_run(pipeline=pipeline, catalog=catalog)
    try:
        SequentialRunner().run(pipeline, catalog, manager)
    except Exception as error:
        hooks.on_pipeline_error(error=error)
        raise
    hooks.after_pipeline_run()


def test_failed_run_restores_overwritten_and_removes_new_outputs(
    catalog: DataCatalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(snapshots))

    with pytest.raises(ValueError, match="second node breaks"):
        _run_with_hooks(_two_step_pipeline(_fail), catalog, RunRollbackHooks(tmp_path))

    assert (tmp_path / "existing.csv").read_text() == "a\n100\n"
    assert not (tmp_path / "created.csv").exists()
    # nothing copied to $TMPDIR; the journal and backups inside the project are gone
    assert not list(snapshots.iterdir())
    assert sorted(p.name for p in (tmp_path / ".kedro-run").iterdir()) == ["lock"]


def test_a_file_that_cannot_be_restored_is_reported_and_the_run_error_kept(
    catalog: DataCatalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    import os

    real_replace = os.replace

    def refuse_existing(source, target, *args, **kwargs):
        if str(target).endswith("existing.csv"):
            raise PermissionError(13, "Permission denied")
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse_existing)
    caplog.set_level(logging.ERROR, logger="roadmap_pipelines.project.rollback_hooks")

    with pytest.raises(ValueError, match="second node breaks"):
        _run_with_hooks(_two_step_pipeline(_fail), catalog, RunRollbackHooks(tmp_path))

    assert not (tmp_path / "created.csv").exists()  # the other output was still handled
    assert "could NOT restore 1 output(s)" in caplog.text
    assert "existing.csv: Permission denied" in caplog.text
    # the journal stays, so the next run restores the file once it can
    monkeypatch.setattr(os, "replace", real_replace)
    from roadmap_pipelines.project.run_guard import OutputJournal

    report = OutputJournal(tmp_path).rollback()
    assert report.restored == ["existing.csv"] and not report.failed
    assert (tmp_path / "existing.csv").read_text() == "a\n100\n"


def test_successful_run_keeps_its_outputs_and_drops_snapshots(
    catalog: DataCatalog, tmp_path: Path
) -> None:
    hooks = RunRollbackHooks(tmp_path)
    _run_with_hooks(_two_step_pipeline(_double), catalog, hooks)

    assert pd.read_csv(tmp_path / "existing.csv")["a"].tolist() == [2, 4]
    assert pd.read_csv(tmp_path / "created.csv")["a"].tolist() == [4, 8]
    assert not (tmp_path / ".kedro-run" / "journal.json").exists()
    assert not (tmp_path / ".kedro-run" / "backup").exists()


def test_timing_logs_one_line_per_node_and_a_summary(caplog: pytest.LogCaptureFixture) -> None:
    hooks = NodeTimingHooks()
    pipeline = _two_step_pipeline(_double)
    caplog.set_level(logging.INFO, logger="roadmap_pipelines.project.hooks")

    hooks.before_pipeline_run()
    for node in pipeline.nodes:
        hooks.before_node_run(node=node)
        hooks.after_node_run(node=node)
    hooks.after_pipeline_run()

    lines = [record.getMessage() for record in caplog.records]
    node_lines = [line for line in lines if line.startswith("node ")]
    assert [line.split()[1] for line in node_lines] == [node.name for node in pipeline.nodes]
    assert all(line.endswith(" s") for line in node_lines)
    assert lines[-1].startswith("run finished: 3 nodes in ")


def test_failed_run_restores_a_partitioned_folder(tmp_path: Path) -> None:
    from kedro_datasets.partitions import PartitionedDataset

    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "old.csv").write_text("a\n1\n")
    catalog = DataCatalog(
        {
            "source": MemoryDataset({"new": pd.DataFrame({"a": [2]})}),
            "existing": PartitionedDataset(
                path=str(folder), dataset="pandas.CSVDataset", filename_suffix=".csv"
            ),
            "created": MemoryDataset(),
            "last": MemoryDataset(),
        }
    )
    pipeline = Pipeline(
        [
            Node(lambda parts: parts, "source", "existing", name="write_parts"),
            Node(_fail, "existing", "last", name="last_step"),
        ]
    )

    with pytest.raises(ValueError, match="second node breaks"):
        _run_with_hooks(pipeline, catalog, RunRollbackHooks(tmp_path))

    assert sorted(path.name for path in folder.iterdir()) == ["old.csv"]


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_thread_limits_hold_during_a_run_and_are_restored_after() -> None:
    from threadpoolctl import threadpool_limits

    from roadmap_pipelines.project.execution_hooks import ThreadLimitHooks

    seen: list[set[int]] = []
    hooks = ThreadLimitHooks(threads=1)
    with threadpool_limits(2, user_api="blas"):  # as if the machine gave BLAS two threads
        hooks.before_pipeline_run()
        seen.append(_blas_threads())
        hooks.after_pipeline_run()
        assert _blas_threads() == {2}
        hooks.before_pipeline_run()
        hooks.on_pipeline_error()
        assert _blas_threads() == {2}
    assert seen == [{1}]


@pytest.mark.parametrize("policy", ["warn", "fail"])
def test_failures_recorded_inside_a_run_are_logged_and_fail_it_if_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, policy: str
) -> None:
    from kedro.framework.hooks.manager import _create_hook_manager
    from kedro_datasets.json import JSONDataset

    from roadmap_pipelines.project.hooks import PartialFailureError, PartialFailureHooks

    record = {"series_id": "flat", "stage": "input", "reason": "constant series"}
    catalog = DataCatalog(
        {
            "failures": JSONDataset(
                filepath=str(tmp_path / "failures.json"), metadata={"failures": True}
            ),
            "params:on_partial_failure": MemoryDataset(policy),
        }
    )
    pipeline = Pipeline([Node(lambda: [record], None, "failures", name="collect")])
    hooks = PartialFailureHooks()
    manager = _create_hook_manager()
    manager.register(hooks)
    caplog.set_level(logging.WARNING, logger="roadmap_pipelines.project.hooks")

    hooks.before_pipeline_run(pipeline=pipeline, catalog=catalog)
    if policy == "fail":
        with pytest.raises(PartialFailureError, match="1 series or task"):
            SequentialRunner().run(pipeline, catalog, manager)
    else:
        SequentialRunner().run(pipeline, catalog, manager)
        assert "on_partial_failure: warn lets the run go on" in caplog.text
    assert "failures: {'series_id': 'flat'" in caplog.text


# ExecutionHooks: the engine of parameters_execution.yml around a run


def _execution_catalog(execution: dict | None) -> DataCatalog:
    catalog = DataCatalog()
    if execution is not None:
        catalog["params:execution"] = MemoryDataset(execution)
    return catalog


@pytest.mark.parametrize("execution", [None, {}, {"engine": "local"}])
def test_the_local_engine_leaves_joblib_as_it_is(execution) -> None:
    from joblib.parallel import get_active_backend

    hooks = ExecutionHooks()
    before = type(get_active_backend()[0])
    hooks.before_pipeline_run({"runner": "None"}, _execution_catalog(execution))

    assert type(get_active_backend()[0]) is before
    hooks.after_pipeline_run()


def test_the_dask_engine_needs_the_sequential_runner() -> None:
    hooks = ExecutionHooks()
    catalog = _execution_catalog({"engine": "dask", "scheduler_address": "tcp://127.0.0.1:1"})

    with pytest.raises(ExecutionError, match="SequentialRunner.*ParallelRunner"):
        hooks.before_pipeline_run({"runner": "ParallelRunner"}, catalog)


def test_a_bad_execution_setting_stops_the_run_naming_the_file() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="parameters_execution.yml: execution"):
        ExecutionHooks().before_pipeline_run(
            {"runner": "None"}, _execution_catalog({"engine": "ray"})
        )


@pytest.mark.parametrize("dashboard", [False, True])
def test_a_local_cluster_samples_worker_profiles_only_for_its_dashboard(dashboard: bool) -> None:
    from distributed import Client

    from roadmap_pipelines.params.execution import Execution
    from roadmap_pipelines.project.execution_hooks import start_local_cluster

    execution = Execution(engine="dask", n_workers=1, dashboard=dashboard, memory_limit="1GiB")
    with start_local_cluster(execution) as cluster, Client(cluster) as client:
        profiling = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
        hosts = {address.split("//")[1].rsplit(":", 1)[0] for address in profiling}

    assert list(profiling.values()) == [dashboard]
    assert hosts == {"127.0.0.1"}
