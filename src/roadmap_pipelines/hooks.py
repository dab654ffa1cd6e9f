"""Project hooks: per-node timing with a run summary, and all-or-nothing outputs.

``RunRollbackHooks`` makes a ``kedro run`` transactional for local file outputs: if any node
fails, every output file the run had already (re)written is put back as it was before the run,
so a bad input never leaves a mix of old and new results behind.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol
from kedro.pipeline import Node, Pipeline

logger = logging.getLogger(__name__)


class NodeTimingHooks:
    """Log one line per node with its wall time, and a summary when the run ends."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._durations: dict[str, float] = {}
        self._run_started = 0.0

    @hook_impl
    def before_pipeline_run(self) -> None:
        """Reset the timings at the start of every run."""
        self._started.clear()
        self._durations.clear()
        self._run_started = time.perf_counter()

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        """Start the clock for ``node``."""
        self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        """Log ``node`` with its duration."""
        elapsed = time.perf_counter() - self._started.pop(node.name, time.perf_counter())
        self._durations[node.name] = elapsed
        logger.info("node %-55s %8.2f s", node.name, elapsed)

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Log the run's total time and its slowest nodes."""
        total = time.perf_counter() - self._run_started
        slowest = sorted(self._durations.items(), key=lambda item: item[1], reverse=True)[:3]
        logger.info(
            "run finished: %d nodes in %.2f s; slowest: %s",
            len(self._durations),
            total,
            ", ".join(f"{name} ({seconds:.2f} s)" for name, seconds in slowest) or "none",
        )


def _local_output_path(catalog: CatalogProtocol, dataset_name: str) -> Path | None:
    """Return the local file or folder an output dataset writes to, or ``None``."""
    dataset = catalog.get(dataset_name, fallback_to_runtime_pattern=True)
    # file datasets keep their location in _filepath, folder datasets (partitions) in _path
    location = getattr(dataset, "_filepath", None) or getattr(dataset, "_path", None)
    if location is None or getattr(dataset, "_protocol", "file") != "file":
        return None
    return Path(str(location))


class RunRollbackHooks:
    """Snapshot a run's local outputs before it starts and restore them if it fails."""

    def __init__(self) -> None:
        self._backup_dir: Path | None = None
        self._snapshots: dict[Path, Path | None] = {}

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: CatalogProtocol) -> None:
        """Copy every existing local output aside; remember the ones that do not exist yet."""
        self._backup_dir = Path(tempfile.mkdtemp(prefix="kedro-rollback-"))
        self._snapshots = {}
        for index, name in enumerate(sorted(pipeline.all_outputs())):
            path = _local_output_path(catalog, name)
            if path is None:
                continue
            backup = self._backup_dir / str(index)
            if path.is_dir():
                shutil.copytree(path, backup)
            elif path.exists():
                shutil.copy2(path, backup)
            else:
                backup = None
            self._snapshots[path] = backup

    @hook_impl
    def on_pipeline_error(self, error: Exception) -> None:
        """Put every snapshotted output back as it was before the run."""
        restored = 0
        for path, backup in self._snapshots.items():
            if not path.exists() and backup is None:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            if backup is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(backup, path)
            restored += 1
        logger.error(
            "run failed with %s; restored %d output(s) to their state before the run",
            type(error).__name__,
            restored,
        )
        self._discard()

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Drop the snapshots of a successful run."""
        self._discard()

    def _discard(self) -> None:
        if self._backup_dir is not None:
            shutil.rmtree(self._backup_dir, ignore_errors=True)
        self._backup_dir = None
        self._snapshots = {}


class ThreadLimitHooks:
    """Run BLAS and OpenMP libraries single-threaded during a run, unless told otherwise.

    The matrices here are small, and with two shared cores a second thread costs more than it
    gains: under ``OMP_WAIT_POLICY=passive`` (which LightGBM needs) an OpenMP OpenBLAS is about
    30 times slower multi-threaded. Parallel work happens across CV folds and series instead
    (``n_jobs`` in the parameters); an estimator given ``n_jobs`` explicitly still uses it.
    """

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._limits = None

    @hook_impl
    def before_pipeline_run(self) -> None:
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(self._threads)

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._restore()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None


class TaskConfigHooks:
    """Build the pipelines for the tasks of the environment a session runs.

    Kedro builds its pipeline registry lazily and caches it for the process, without a config
    loader; the task list lives in the configuration (``--env``, ``KEDRO_ENV``,
    ``--conf-source``, ``conf/local``), so each new context hands its loader to the task
    registry and resets Kedro's cache, and the next access rebuilds the pipelines from it.
    The loader is forgotten when the run ends, so it never leaks into another project.
    """

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import PACKAGE_NAME, pipelines

        from roadmap_pipelines.project.tasks import use_config_loader

        use_config_loader(context.config_loader)
        pipelines.configure(f"{PACKAGE_NAME}.pipeline_registry")

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Forget the run's loader: later registrations in this process (another project,
        another environment) read their own configuration."""
        from roadmap_pipelines.project.tasks import use_config_loader

        use_config_loader(None)

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Forget the failed run's loader too."""
        self.after_pipeline_run()
