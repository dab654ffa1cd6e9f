"""GroupRunner: independent groups of nodes run in forked processes, with the same results,
hooks and rollback as a sequential run."""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner
from kedro_datasets.pandas import CSVDataset

from roadmap_pipelines.project.hooks import NodeTimingHooks
from roadmap_pipelines.project.rollback_hooks import RunRollbackHooks
from roadmap_pipelines.project.runner import GroupRunner, node_groups

# the pytest process these tests run in (forked groups have their own process ids)
TEST_PROCESS = os.getpid()


def _scaled(frame: pd.DataFrame, factor: int) -> pd.DataFrame:
    return frame * factor


def _with_pid(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(pid=os.getpid())


def _joined(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([left, right], keys=["left", "right"]).reset_index(level=0)


def _fail(frame: pd.DataFrame) -> pd.DataFrame:
    raise ValueError(f"a bad value in {len(frame)} rows")


def _two_tasks_and_a_report(right_step=_with_pid) -> Pipeline:
    """Two independent chains (namespaces left and right) and a node that reads both."""
    return Pipeline(
        [
            Node(
                _scaled, ["left_raw", "params:two"], "left_scaled", name="scale", namespace="left"
            ),
            Node(_with_pid, "left_scaled", "left_result", name="mark", namespace="left"),
            Node(
                _scaled,
                ["right_raw", "params:ten"],
                "right_scaled",
                name="scale",
                namespace="right",
            ),
            Node(right_step, "right_scaled", "right_result", name="mark", namespace="right"),
            Node(_joined, ["left_result", "right_result"], "report", name="report"),
        ]
    )


def _catalog(tmp_path: Path) -> DataCatalog:
    old = tmp_path / "left_scaled.csv"
    old.write_text("a\n100\n")
    return DataCatalog(
        {
            "left_raw": MemoryDataset(pd.DataFrame({"a": [1, 2]})),
            "right_raw": MemoryDataset(pd.DataFrame({"a": [3, 4, 5]})),
            "params:two": MemoryDataset(2),
            "params:ten": MemoryDataset(10),
            "left_scaled": CSVDataset(filepath=str(old), save_args={"index": False}),
            "report": MemoryDataset(),
        }
    )


def test_groups_are_the_nodes_with_the_same_sources_in_dependency_order() -> None:
    groups = node_groups(_two_tasks_and_a_report())

    assert [[node.name for node in group.nodes] for group in groups] == [
        ["left.scale", "left.mark"],
        ["right.scale", "right.mark"],
        ["report"],
    ]
    assert [group.name for group in groups] == ["left", "right", "report and 0 more"]
    assert groups[2].after == {groups[0].sources, groups[1].sources}
    assert not groups[0].after and not groups[1].after


@pytest.mark.forks
def test_independent_groups_run_in_their_own_processes_with_sequential_results(
    tmp_path: Path,
) -> None:
    assert threading.active_count() == 1, "forking needs a single-threaded test process"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sequential = _catalog(tmp_path / "a")
    grouped = _catalog(tmp_path / "b")

    SequentialRunner().run(_two_tasks_and_a_report(), sequential)
    GroupRunner(max_workers=2).run(_two_tasks_and_a_report(), grouped)

    expected, report = sequential.load("report"), grouped.load("report")
    pids = report.groupby("level_0")["pid"].first()
    # each chain ran in a child of its own; the report (nothing beside it) ran here
    assert pids["left"] != os.getpid() and pids["right"] != os.getpid()
    assert pids["left"] != pids["right"]
    assert (expected["pid"] == os.getpid()).all()
    pd.testing.assert_frame_equal(report.drop(columns="pid"), expected.drop(columns="pid"))
    assert report["a"].tolist() == [2, 4, 30, 40, 50]
    # the child wrote the persisted output the parent's catalog reads
    assert (tmp_path / "b/left_scaled.csv").read_text() == "a\n2\n4\n"


@pytest.mark.forks
@pytest.mark.parametrize("max_workers", [1, 3])
def test_one_worker_runs_in_this_process_and_more_workers_than_groups_are_fine(
    tmp_path: Path, max_workers: int
) -> None:
    catalog = _catalog(tmp_path)
    GroupRunner(max_workers=max_workers).run(_two_tasks_and_a_report(), catalog)

    report = catalog.load("report")
    assert report["a"].tolist() == [2, 4, 30, 40, 50]
    assert (report["pid"] == os.getpid()).all() == (max_workers == 1)


def test_a_live_thread_keeps_the_run_in_one_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="roadmap_pipelines.project.runner")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="client-loop")
    thread.start()
    try:
        catalog = _catalog(tmp_path)
        GroupRunner(max_workers=2).run(_two_tasks_and_a_report(), catalog)
    finally:
        stop.set()
        thread.join()

    assert (catalog.load("report")["pid"] == os.getpid()).all()
    # earlier tests may have left threads of their own: the message names every one
    alive = r"other threads are alive \([^)]*client-loop[^)]*\), forking is unsafe"
    assert re.search(alive, caplog.text)


@pytest.mark.forks
def test_a_failing_group_raises_its_own_error_and_the_rollback_restores_the_others_outputs(
    tmp_path: Path,
) -> None:
    pipeline = _two_tasks_and_a_report(right_step=_fail)
    catalog = _catalog(tmp_path)
    hooks = RunRollbackHooks(tmp_path)
    manager = _create_hook_manager()
    manager.register(hooks)
    hooks.before_pipeline_run(pipeline=pipeline, catalog=catalog)

    with pytest.raises(ValueError, match="a bad value in 3 rows") as raised:
        GroupRunner(max_workers=2).run(pipeline, catalog, manager)
    hooks.on_pipeline_error(error=raised.value)

    assert any("raised in the process of group right" in note for note in raised.value.__notes__)
    # the left group's child moved the old file aside (or never got to it): it is back
    assert (tmp_path / "left_scaled.csv").read_text() == "a\n100\n"
    assert not (tmp_path / ".kedro-run" / "journal.json").exists()


@pytest.mark.forks
def test_node_timings_of_forked_groups_reach_the_runs_summary(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="roadmap_pipelines.project.hooks")
    timing = NodeTimingHooks()
    manager = _create_hook_manager()
    manager.register(timing)

    timing.before_pipeline_run()
    GroupRunner(max_workers=2).run(_two_tasks_and_a_report(), _catalog(tmp_path), manager)
    timing.after_pipeline_run()

    assert "run finished: 5 nodes in " in caplog.records[-1].getMessage()
    assert set(timing.forked_state()) == {
        "left.scale",
        "left.mark",
        "right.scale",
        "right.mark",
        "report",
    }


def test_max_workers_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_workers must be at least 1, got 0"):
        GroupRunner(max_workers="0")


@pytest.mark.parametrize(
    ("arguments", "runner"),
    [
        ([], "roadmap_pipelines.project.runner.GroupRunner"),
        (["--runner", "SequentialRunner"], "SequentialRunner"),
    ],
)
def test_kedro_run_uses_the_group_runner_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], runner: str
) -> None:
    from click.testing import CliRunner
    from kedro.framework.cli.project import run as kedro_run

    from roadmap_pipelines import cli

    received: dict = {}
    monkeypatch.setattr("roadmap_pipelines.project.run_errors.check_selection", lambda *a: None)
    monkeypatch.setattr(kedro_run, "callback", lambda **options: received.update(options))

    result = CliRunner().invoke(cli.run, arguments, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert received["runner"] == runner


def _killed(frame: pd.DataFrame) -> pd.DataFrame:
    if os.getpid() == TEST_PROCESS:
        raise RuntimeError("the group ran in the test process, which must not be killed")
    os.kill(os.getpid(), 9)
    return frame


@pytest.mark.forks
def test_a_group_process_killed_outright_fails_the_run_with_its_signal(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"group right ended without a result \(exit code -9"):
        GroupRunner(max_workers=2).run(_two_tasks_and_a_report(_killed), _catalog(tmp_path))


_KILLED_RUN_SCRIPT = """
import os, time
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from roadmap_pipelines.project.runner import GroupRunner

def wait(value):
    print("group", os.getpid(), flush=True)
    time.sleep(60)
    return value

pipeline = Pipeline([Node(wait, "a", "a_out", name="left"), Node(wait, "b", "b_out", name="right")])
catalog = DataCatalog({"a": MemoryDataset(1), "b": MemoryDataset(2)})
GroupRunner(max_workers=2).run(pipeline, catalog)
"""


def test_group_processes_end_when_their_run_is_killed_outright(tmp_path: Path) -> None:
    import subprocess
    import sys

    import psutil

    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        run = subprocess.Popen(
            [sys.executable, "-c", _KILLED_RUN_SCRIPT],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    groups: list[int] = []
    while len(groups) < 2:  # Kedro's log lines come through stdout too
        line = run.stdout.readline()
        if not line:
            run.wait()
            pytest.fail(
                f"the run ended (exit code {run.returncode}) before both groups started; "
                f"its stderr:\n{errors.read_text()}"
            )
        if line.startswith("group "):
            groups.append(int(line.split()[1]))
    assert run.pid not in groups  # each group runs in a process of its own

    run.kill()
    run.wait()
    _, alive = psutil.wait_procs([psutil.Process(pid) for pid in groups], timeout=10)
    assert not alive, f"group processes {[p.pid for p in alive]} outlived the killed run"
