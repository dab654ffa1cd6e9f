"""Fault injection: killed, interrupted and concurrent runs, and hostile input.

Runs are real ``kedro run`` processes on a copy of the project, limited to the small
``preprocessing`` pipeline so the whole module stays around two minutes. The "old" outputs come
from a run with the project seed, the "new" ones from ``--params random_state=7`` (another
split: most files differ), so a mix of the two sets would be seen.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

from project_runs import copy_project, output_digests
from roadmap_pipelines.project.run_guard import OutputJournal, ProjectLock
from task_config import requires_tasks

KEDRO = str(Path(sys.executable).parent / "kedro")
NEW = ["--params", "random_state=7"]
PIPELINE = ["--pipelines=preprocessing"]
ENV = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "OMP_WAIT_POLICY": "passive"}

# real `kedro` processes on copies of the project, killed, raced and fed bad input
pytestmark = pytest.mark.e2e


def _kedro(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KEDRO, "run", *args],
        cwd=project,
        env=kwargs.pop("env", ENV),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


def _run_here(project: Path, *args: str) -> tuple[int, str]:
    """``kedro run`` in this process (no interpreter start-up): exit status, all output."""
    from click.testing import CliRunner
    from kedro.framework.startup import bootstrap_project

    from roadmap_pipelines.cli import run

    bootstrap_project(project)
    previous = Path.cwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(run, list(args), env=ENV, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.output


def _start(project: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [KEDRO, "run", *args],
        cwd=project,
        env=env or ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _digests(project: Path) -> dict[str, str]:
    return {path: digest for path, digest in output_digests(project).items() if "/" in path}


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Poll until ``path`` exists (True) or the process ends first (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if process.poll() is not None:
            return path.exists()
        time.sleep(0.005)
    raise TimeoutError(f"{path} did not appear")


def _processes_in(project: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cwd"]):
        try:
            if process.info["cwd"] and Path(process.info["cwd"]) == project:
                found.append(process)
        except psutil.Error:
            continue
    return found


def _leftovers(project: Path) -> list[str]:
    state = project / ".kedro-run"
    leftover = [str(p) for p in project.rglob("*.tmp")]
    leftover += [str(p) for p in (state / "backup", state / "journal.json") if p.exists()]
    return leftover


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A project after an "old" run, the old and new digests, and how long a run writes."""
    root = tmp_path_factory.mktemp("reliability")
    pristine = copy_project(root / "pristine")
    assert _kedro(pristine, *PIPELINE).returncode == 0
    reference = copy_project(root / "reference")
    process = _start(reference, *PIPELINE, *NEW)
    journal = reference / ".kedro-run" / "journal.json"
    assert _wait_for(journal, process)
    started = time.monotonic()
    while journal.exists():  # from the journal's start to the commit: when outputs change
        time.sleep(0.005)
    writing_seconds = time.monotonic() - started
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    old, new = _digests(pristine), _digests(reference)
    assert old.keys() == new.keys()
    assert sum(old[path] != new[path] for path in old) >= len(old) // 2
    return {
        "pristine": pristine,
        "old": old,
        "new": new,
        "writing_seconds": writing_seconds,
    }


def _fresh(runs: dict, destination: Path) -> Path:
    shutil.copytree(runs["pristine"], destination)
    return destination


def test_sigkill_at_ten_seeded_moments_leaves_old_or_new_and_the_next_run_recovers(
    runs: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="roadmap_pipelines.project.rollback_hooks")
    rng = random.Random(20)
    temporary = tmp_path / "tmpdir"  # the runs' own $TMPDIR: nothing may be left in it
    temporary.mkdir()
    outcomes = []
    for attempt in range(10):
        project = _fresh(runs, tmp_path / f"kill{attempt}")
        process = _start(project, *PIPELINE, *NEW, env={**ENV, "TMPDIR": str(temporary)})
        # most moments fall while the run writes; some before it starts writing at all
        if rng.random() < 0.8:
            _wait_for(project / ".kedro-run" / "journal.json", process)
            time.sleep(rng.uniform(0, runs["writing_seconds"] * 1.2))
        else:
            time.sleep(rng.uniform(0, 3.0))
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()

        assert not _processes_in(project), "a process of the killed run is still alive"
        unfinished = OutputJournal(project).unfinished
        # what the next run will restore: roll back a copy, compare with either full set
        scratch = shutil.copytree(project, tmp_path / f"scratch{attempt}")
        OutputJournal(scratch).rollback()
        restored = _digests(scratch)
        assert restored in (runs["old"], runs["new"]), f"attempt {attempt}: a mix of outputs"
        if unfinished:
            assert restored == runs["old"]
        outcomes.append(
            "rolled back"
            if unfinished
            else "finished"
            if restored == runs["new"]
            else "not started"
        )

        caplog.clear()
        status, output = _run_here(project, *PIPELINE, *NEW)
        assert status == 0, output[-2000:]
        assert ("an unfinished run" in caplog.text) == unfinished
        assert _digests(project) == runs["new"]
        assert not _leftovers(project)
    assert not list(temporary.iterdir())
    # the seeded moments exercise the interesting case, not only kills before or after a run
    assert outcomes.count("rolled back") >= 3, outcomes


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_mid_run_restores_the_old_outputs_at_once(
    runs: dict, tmp_path: Path, signum: int
) -> None:
    project = _fresh(runs, tmp_path / "project")
    process = _start(project, *PIPELINE, *NEW)
    _wait_for(project / ".kedro-run" / "journal.json", process)
    time.sleep(runs["writing_seconds"] * 0.3)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    err = out + err  # Kedro logs to stdout

    if process.returncode == 128 + signum:  # interrupted while writing: rolled back at once
        assert f"run failed with {signal.Signals(signum).name}" in err
        assert _digests(project) == runs["old"]
    else:  # the signal came after the commit, while the process was ending
        assert _digests(project) == runs["new"], err[-2000:]
    assert not _leftovers(project)
    assert not _processes_in(project)


def test_a_second_run_refuses_while_one_writes_and_names_it(runs: dict, tmp_path: Path) -> None:
    project = _fresh(runs, tmp_path / "project")
    first = _start(project, *PIPELINE, *NEW)
    assert _wait_for(project / ".kedro-run" / "journal.json", first)
    first.send_signal(signal.SIGSTOP)  # holds the lock mid-run, however slow the machine
    try:
        second = _kedro(project, *PIPELINE)
    finally:
        first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=300)

    assert second.returncode == 75
    assert f"another run is writing this project's outputs: process {first.pid}" in second.stderr
    assert "--pipelines=preprocessing --params random_state=7" in second.stderr
    assert ".kedro-run/lock" in second.stderr
    assert first.returncode == 0, err[-2000:]
    assert _digests(project) == runs["new"]  # exactly one run wrote


def test_two_runs_started_together_never_mix(runs: dict, tmp_path: Path) -> None:
    project = _fresh(runs, tmp_path / "project")
    processes = [_start(project, *PIPELINE, *NEW), _start(project, *PIPELINE, *NEW)]
    codes = sorted(process.wait(timeout=300) for process in processes)

    # on a fast machine the first may finish before the second starts; never both at once
    assert codes in ([0, 0], [0, 75])
    assert _digests(project) == runs["new"]


def test_a_run_waits_for_the_lock_when_told_to(tmp_path: Path) -> None:
    lock = ProjectLock(tmp_path)
    lock.acquire()
    threading.Timer(0.5, lock.release).start()
    other = ProjectLock(tmp_path)
    other.acquire(wait_seconds=30)
    assert other.held
    other.release()


def test_a_stale_lock_is_explained(tmp_path: Path) -> None:
    (tmp_path / ".kedro-run").mkdir()
    (tmp_path / ".kedro-run" / "lock").write_text('{"pid": 999999999, "command": "kedro run"}')
    message = ProjectLock(tmp_path)._locked_message()
    assert "no longer exists: the lock is stale" in message
    assert str(tmp_path / ".kedro-run" / "lock") in message


def test_read_only_commands_do_not_take_the_lock(runs: dict, tmp_path: Path) -> None:
    project = _fresh(runs, tmp_path / "project")
    lock = ProjectLock(project)
    lock.acquire()
    try:
        listing = subprocess.run(
            [KEDRO, "catalog", "describe-datasets"],
            cwd=project,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        lock.release()
    assert listing.returncode == 0, listing.stderr[-2000:]


# --- hostile input: one line per case --------------------------------------------------------


def _edit_yaml(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / "conf" / "base" / name
        content = yaml.safe_load(path.read_text())
        change(content)
        path.write_text(yaml.safe_dump(content, sort_keys=False))

    return edit


def _append(name: str, text: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        with (project / "conf" / "base" / name).open("a") as handle:
            handle.write(text)

    return edit


def _formula(formula: str) -> Callable[[Path], None]:
    def change(content: dict) -> None:
        content["feature_engineering"]["credit"]["creation"]["formulas"]["hostile"] = formula

    return _edit_yaml("parameters_feature_engineering.yml", change)


def _candidate(name: str, **values) -> Callable[[Path], None]:
    def change(content: dict) -> None:
        content["modelling_tabular"]["credit"]["candidates"][name].update(values)

    return _edit_yaml("parameters_modelling_tabular.yml", change)


def _bad_bytes(project: Path) -> None:
    with (project / "data" / "01_raw" / "credit.csv").open("ab") as handle:
        handle.write(b"1,\xff\xfe\n")


def _new_label(project: Path) -> None:
    path = project / "data" / "01_raw" / "credit.csv"
    table = pd.read_csv(path)
    table.loc[:2, "Status"] = "unknown"
    table.to_csv(path, index=False)


def _nothing(project: Path) -> None:
    pass


TABULAR = ["--pipelines=modelling_tabular"]
# id: (change to the project copy, arguments, exit status, fragments the message must contain)
# fmt: off
HOSTILE = {
    "estimator os.system": (
        _candidate("naive_bayes", estimator="os.system"),
        TABULAR,
        1,
        [
            "parameters_modelling_tabular.yml",
            "candidates.naive_bayes.estimator",
            "package 'os' is not trusted",
        ],
    ),
    "estimator via --params": (
        _nothing,
        [
            *TABULAR,
            "--params",
            "modelling_tabular.credit.candidates.naive_bayes.estimator=subprocess.Popen",
        ],
        1,
        ["candidates.naive_bayes.estimator", "package 'subprocess' is not trusted"],
    ),
    "function, not a class": (
        _candidate("naive_bayes", estimator="sklearn.utils.estimator_html_repr"),
        TABULAR,
        1,
        ["candidates.naive_bayes", "is a function, not a class"],
    ),
    "LightGBM typo": (
        _candidate("lightgbm", params={"num_leafs": 3}),
        TABULAR,
        1,
        ["parameters_modelling_tabular.yml", "candidates.lightgbm", "num_leafs", "num_leaves"],
    ),
    "top-level typo": (
        _append("parameters.yml", "\nrandom_stat: 1\n"),
        PIPELINE,
        1,
        ["conf/base/parameters.yml", "'random_stat'", "did you mean 'random_state'"],
    ),
    "misspelt block": (
        _append("parameters_modelling_tabular.yml", "\nmodeling_tabular: {}\n"),
        PIPELINE,
        1,
        [
            "parameters_modelling_tabular.yml",
            "'modeling_tabular'",
            "did you mean 'modelling_tabular'",
        ],
    ),
    "--params typo": (
        _nothing,
        [*PIPELINE, "--params", "modeling_tabular.credit.n_jobs=2"],
        1,
        ["--params", "modeling_tabular", "did you mean 'modelling_tabular'"],
    ),
    "unknown pipeline": (
        _nothing,
        ["--pipelines=doesnotexist"],
        1,
        ["--pipelines", "doesnotexist", "'preprocessing'", "'segmentation'"],
    ),
    "unknown namespace": (
        _nothing,
        [*PIPELINE, "--namespaces=amess"],
        1,
        ["--namespaces", "amess", "did you mean 'ames'", "'credit'"],
    ),
    "100,000-term formula": (
        _formula(" + ".join(["Income"] * 100_000)),
        ["--pipelines=feature_engineering"],
        1,
        ["parameters_feature_engineering.yml", "formulas.hostile", "limited to 2000"],
    ),
    "formula overflow": (
        _formula("Income ** 9**9**9"),
        ["--pipelines=feature_engineering"],
        1,
        ["parameters_feature_engineering.yml", "formulas.hostile", "not a finite number"],
    ),
    "non-UTF-8 CSV": (
        _bad_bytes,
        PIPELINE,
        1,
        ["data/01_raw/credit.csv", "is not valid utf-8", "line 4456"],
    ),
    "new target label": (
        _new_label,
        PIPELINE,
        1,
        ["credit.tabular_raw", "column 'Status'", "'unknown'"],
    ),
}


@requires_tasks("credit", "ames")  # the messages name their columns, files and lines
@pytest.mark.parametrize(
    ("change", "arguments", "status", "fragments"), HOSTILE.values(), ids=HOSTILE.keys()
)
def test_hostile_input_stops_early_with_a_short_message_and_changes_no_output(
    runs: dict, tmp_path: Path, change, arguments: list[str], status: int, fragments: list[str]
) -> None:
    project = _fresh(runs, tmp_path / "project")
    change(project)

    code, output = _run_here(project, *arguments)

    assert code == status, output[-3000:]
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{output[-3000:]}"
    assert "Traceback" not in output  # one short message, no stack
    assert _digests(project) == runs["old"]
    assert not _leftovers(project)


def test_verbose_shows_the_full_traceback(runs: dict, tmp_path: Path) -> None:
    project = _fresh(runs, tmp_path / "project")
    result = _kedro(project, "--pipelines=doesnotexist", "--verbose")
    assert result.returncode == 1 and "Traceback" in result.stderr


# --- model files, network sources, worker processes ------------------------------------------


def test_a_model_file_changed_after_training_is_refused_before_unpickling(tmp_path: Path) -> None:
    from kedro.io import DatasetError

    from roadmap_pipelines.project.datasets import HashCheckedPickleDataset

    dataset = HashCheckedPickleDataset(
        filepath=str(tmp_path / "model.pkl"), backend="roadmap_pipelines.ml.canonical_pickle"
    )
    dataset.save({"weights": [1, 2, 3]})
    assert (tmp_path / "model.pkl.sha256").read_text().strip() == hashlib.sha256(
        (tmp_path / "model.pkl").read_bytes()
    ).hexdigest()
    assert dataset.load() == {"weights": [1, 2, 3]}

    other = tmp_path / "other.pkl"
    HashCheckedPickleDataset(filepath=str(other)).save({"weights": [6, 6, 6]})
    shutil.copy(other, tmp_path / "model.pkl")
    with pytest.raises(DatasetError, match="is not the file written at training"):
        dataset.load()


def test_the_hash_check_is_a_library_function(tmp_path: Path) -> None:
    from roadmap_pipelines.project.model_integrity import (
        ModelIntegrityError,
        record_hash,
        verified_bytes,
    )

    model = tmp_path / "model.pkl"
    model.write_bytes(b"trained")
    record_hash(model)
    assert verified_bytes(model) == b"trained"
    model.write_bytes(b"swapped")
    with pytest.raises(ModelIntegrityError, match="refusing to unpickle"):
        verified_bytes(model)
    (tmp_path / "model.pkl.sha256").unlink()
    with pytest.raises(ModelIntegrityError, match="no recorded hash"):
        verified_bytes(model, require_record=True)


class _SilentHandler(http.server.BaseHTTPRequestHandler):
    """Accepts the request and never answers in time."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(5)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def silent_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SilentHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/credit.json"
    finally:
        server.shutdown()
        server.server_close()


def test_an_unresponsive_api_times_out_after_its_retries(silent_server: str) -> None:
    from kedro.io import DatasetError

    from roadmap_pipelines.project.datasets import HTTPJSONDataset

    dataset = HTTPJSONDataset(silent_server, read_timeout=0.3, retries=1, backoff_factor=0)
    with pytest.raises(DatasetError) as raised:
        dataset.load()
    message = str(raised.value)
    assert silent_server in message and "read_timeout" in message and "after 1 retries" in message


def test_api_answers_are_read_as_records(tmp_path: Path) -> None:
    from roadmap_pipelines.project.datasets import HTTPJSONDataset

    (tmp_path / "rows.json").write_text('[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/rows.json"
        table = HTTPJSONDataset(url).load()
    finally:
        server.shutdown()
        server.server_close()
    assert table.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


_WORKER_SCRIPT = """
import os, sys, time
from joblib import Parallel, delayed

def work(seconds):
    from roadmap_pipelines.ml.workers import exit_with_parent
    exit_with_parent(poll_seconds=0.1)
    print(os.getpid(), flush=True)
    time.sleep(seconds)
    return os.getpid()

Parallel(n_jobs=2)(delayed(work)(60) for _ in range(2))
"""


def test_workers_end_when_their_run_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _WORKER_SCRIPT], stdout=subprocess.PIPE, text=True
    )
    workers = [int(parent.stdout.readline()) for _ in range(2)]
    parent.kill()
    parent.wait()
    gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in workers], timeout=10)
    assert not alive, f"workers {[p.pid for p in alive]} outlived the killed parent"
