"""End-to-end: the ``dask`` execution engine on a real cluster bound to 127.0.0.1.

A ``dask scheduler`` and two ``dask worker`` processes (no nanny, so a killed worker stays
dead) run for each test; the project copy points ``parameters_execution.yml`` at them. The
time-series pipeline and the tuned tabular tasks must write the same bytes as the local run
of ``default_run``, also when a worker is killed while it computes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from project_runs import catalog_datasets, differing_files, output_digests, run_session
from roadmap_pipelines.project.execution_hooks import ExecutionError

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
PIPELINES = ["modelling_tabular", "modelling_timeseries"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two single-threaded workers on 127.0.0.1; yields the address."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    logs = (tmp_path / "dask.log").open("w")
    common = {"stdout": logs, "stderr": subprocess.STDOUT, "cwd": tmp_path}
    processes = [
        subprocess.Popen(
            [
                BIN / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--no-dashboard",
                "--dashboard-address",
                "127.0.0.1:0",
            ],
            **common,
        )
    ]
    worker = [BIN / "dask", "worker", address, "--host", "127.0.0.1", "--nthreads", "1"]
    worker += ["--no-nanny", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    worker += ["--memory-limit", "2GiB"]
    processes += [subprocess.Popen(worker, **common) for _ in range(2)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        logs.close()


def _use_dask(project: Path, address: str | None, timeout: float = 10) -> None:
    settings = project / "conf" / "base" / "parameters_execution.yml"
    text = settings.read_text().replace("engine: local", "engine: dask")
    text = text.replace("scheduler_address: null", f'scheduler_address: "{address}"')
    text = text.replace("connect_timeout_seconds: 10", f"connect_timeout_seconds: {timeout}")
    settings.write_text(text)


def _output_paths(project: Path, pipeline_names: list[str]) -> list[str]:
    """Where the named pipelines' persisted outputs live, relative to ``project``."""
    from kedro.framework.project import pipelines

    datasets = catalog_datasets(project)
    names = set().union(*(pipelines[name].all_outputs() for name in pipeline_names))
    return sorted(
        str(Path(datasets[name]._describe()["filepath"]).relative_to(project.resolve()))
        for name in names
        if name in datasets and "filepath" in datasets[name]._describe()
    )


def _remove_outputs(project: Path, pipeline_names: list[str]) -> list[Path]:
    """Delete what the named pipelines wrote in ``project``; return those paths."""
    removed = [project / path for path in _output_paths(project, pipeline_names)]
    for path in removed:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return removed


def test_a_dask_run_writes_the_same_bytes_as_a_local_run(
    completed_project: Path, default_run: Path, cluster: str
) -> None:
    from distributed import Client, get_task_stream

    removed = _remove_outputs(completed_project, PIPELINES)
    _use_dask(completed_project, cluster)
    with Client(cluster) as observer, get_task_stream(observer) as stream:
        run_session(completed_project, pipelines=PIPELINES)
    # the stream's records arrive when its block ends
    ran = [task["key"] if isinstance(task["key"], str) else task["key"][0] for task in stream.data]

    assert any(path.name == "search_trials.csv" for path in removed)
    assert all(path.exists() for path in removed)
    assert differing_files(output_digests(completed_project), output_digests(default_run)) == []
    # the fan-outs really ran on the workers: series chunks and fold fits
    assert any("_run_chunk" in key for key in ran), sorted(ran)[:5]
    assert any("_fit_fold" in key for key in ran), sorted(ran)[:5]


def test_a_worker_killed_mid_run_has_its_work_rerun_with_the_same_outputs(
    completed_project: Path, default_run: Path, cluster: str
) -> None:
    from distributed import Client

    removed = _remove_outputs(completed_project, ["modelling_timeseries"])
    _use_dask(completed_project, cluster)
    killed: list[int] = []
    stop = threading.Event()

    def kill_a_busy_worker() -> None:
        with Client(cluster) as observer:
            while not stop.is_set():
                busy = [worker for worker, keys in observer.processing().items() if keys]
                if busy:
                    pid = observer.run(os.getpid, workers=busy[:1])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                stop.wait(0.05)

    watcher = threading.Thread(target=kill_a_busy_worker, daemon=True)
    watcher.start()
    try:
        run_session(completed_project, pipelines=["modelling_timeseries"])
    finally:
        stop.set()
        watcher.join(timeout=30)

    assert len(killed) == 1
    with Client(cluster) as observer:
        assert len(observer.scheduler_info()["workers"]) == 1
    assert removed and all(path.exists() for path in removed)
    produced = output_digests(completed_project)
    assert differing_files(produced, output_digests(default_run)) == []


def test_an_unreachable_scheduler_stops_the_run_before_any_node(project: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    _use_dask(project, address, timeout=1)

    with pytest.raises(ExecutionError, match=address.replace(".", r"\.")):
        run_session(project, pipelines=["preprocessing"])

    written = [path for path in (project / "data").rglob("*") if path.is_file()]
    assert all("01_raw" in path.parts for path in written)
