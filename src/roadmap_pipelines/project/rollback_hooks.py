"""``RunRollbackHooks`` makes a ``kedro run`` transactional for local file outputs and the only
writer of the project: if any node fails, the run is interrupted or killed, every output file
is put back as it was before the run, so a bad input never leaves a mix of old and new
results behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol
from kedro.pipeline import Pipeline

from roadmap_pipelines.project.run_guard import (
    OutputJournal,
    ProjectLock,
    RecoveryError,
)

logger = logging.getLogger(__name__)


def _local_output_paths(catalog: CatalogProtocol, dataset_name: str) -> list[Path]:
    """The local files or folders an output dataset writes to (none if not local)."""
    dataset = catalog.get(dataset_name, fallback_to_runtime_pattern=True)
    # file datasets keep their location in _filepath, folder datasets (partitions) in _path
    location = getattr(dataset, "_filepath", None) or getattr(dataset, "_path", None)
    if location is None or getattr(dataset, "_protocol", "file") != "file":
        return []
    companions: list[Any] = getattr(dataset, "companion_paths", list)()
    return [Path(str(location)), *(Path(str(path)) for path in companions)]


class RunRollbackHooks:
    """One run at a time per project, and outputs that are all old or all new after any stop.

    Before a run: take the project lock (a second run refuses, naming the holder), roll back
    an unfinished earlier run (killed, power loss) and journal this run's local outputs
    (``roadmap_pipelines.project.run_guard``). Before each save: move the old file aside.
    After success: commit (drop the backups). On an error, Ctrl-C or SIGTERM: put every
    output back, list any file that could not be restored, and let the run's own error
    surface. Kedro does not call ``on_pipeline_error`` for ``KeyboardInterrupt``, so SIGINT
    and SIGTERM are handled here: restore, end worker processes, exit with 128 + signal.

    Args:
        root: Project root; by default the session's project path (or the working folder).
    """

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._lock: ProjectLock | None = None
        self._journal: OutputJournal | None = None
        self._paths: dict[str, list[Path]] = {}
        self._previous_handlers: dict[int, Any] = {}

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Remember the project the session runs in."""
        self._root = Path(context.project_path)

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: CatalogProtocol) -> None:
        """Lock the project, recover an unfinished run, journal this run's outputs."""
        root = self._root or Path.cwd()
        self._lock = ProjectLock(root)
        self._lock.acquire()
        self._journal = OutputJournal(root)
        if self._journal.unfinished:
            report = self._journal.rollback()
            logger.warning(report.describe())
            if report.failed:
                self._release()
                raise RecoveryError(
                    "could not restore the outputs of an unfinished run: "
                    + "; ".join(report.failed)
                    + f". Fix the permissions or free the files, then run again (the journal "
                    f"in {self._journal.state} is kept)."
                )
        self._paths = {}
        for name in sorted(pipeline.all_outputs()):
            paths = _local_output_paths(catalog, name)
            if paths:
                self._paths[name] = paths
        self._journal.begin(path for paths in self._paths.values() for path in paths)
        self._install_signal_handlers()

    @hook_impl
    def before_dataset_saved(self, dataset_name: str) -> None:
        """Move the dataset's previous file aside (a rename) before it is overwritten."""
        if self._journal is not None:
            for path in self._paths.get(dataset_name, []):
                self._journal.protect(path)

    @hook_impl
    def on_pipeline_error(self, error: Exception) -> None:
        """Put every output back as it was before the run; never replace the run's error."""
        self._rollback(type(error).__name__)

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Commit a successful run's outputs and drop the backups."""
        if self._journal is not None:
            self._journal.commit()
        self._release()

    def _rollback(self, reason: str) -> None:
        if self._journal is None:
            return
        try:
            report = self._journal.rollback()
        except Exception as failure:  # noqa: BLE001 - the run's own error must surface
            logger.error("run failed with %s; restoring its outputs failed: %r", reason, failure)
        else:
            logger.error(
                "run failed with %s; restored %d output(s) and removed %d new one(s): the "
                "outputs are as before the run",
                reason,
                len(report.restored),
                len(report.removed),
            )
            if report.failed:
                logger.error(
                    "could NOT restore %d output(s), kept for the next run to retry: %s",
                    len(report.failed),
                    "; ".join(report.failed),
                )
        self._release()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        # runs between two bytecodes of the main thread: no save of this process is half-way
        # through a Python call that continues after this, since the process ends here
        signal.signal(signum, signal.SIG_IGN)
        _end_child_processes()
        self._rollback(signal.Signals(signum).name)
        logging.shutdown()
        os._exit(128 + signum)

    def _release(self) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers = {}
        self._journal = None
        self._paths = {}
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _end_child_processes() -> None:
    """Kill every process this one started (joblib/loky workers) and wait for them."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(children, timeout=5)
