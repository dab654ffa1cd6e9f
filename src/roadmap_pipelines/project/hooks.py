"""Project hooks: per-node timing with a run summary, all-or-nothing outputs, and the execution
engine (local processes or a Dask cluster) around each run.

``RunRollbackHooks`` makes a ``kedro run`` transactional for local file outputs and the only
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
import time
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol
from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.project.run_guard import (
    OutputJournal,
    ProjectLock,
    RecoveryError,
)

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


class ConfigCheckHooks:
    """Stop a run before its first node on any configuration mistake, reporting all of them.

    After the context is created: trust the packages listed under ``trusted_packages`` (the
    estimator import-path allow-list, before Kedro validates the parameter models). Before the
    run: top-level keys nothing reads (in the parameters files or ``--params``), and every
    tabular candidate built without fitting (``project.config_checks``).
    """

    def __init__(self) -> None:
        self._context: Any = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Apply ``trusted_packages`` from the raw parameters."""
        from roadmap_pipelines.ml.import_policy import CONF_KEY, allow_packages

        self._context = context
        try:
            parameters = context.config_loader["parameters"]
        except Exception:  # noqa: BLE001 - no parameters: nothing to trust, Kedro reports it
            return
        allow_packages(parameters.get(CONF_KEY) or [])

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline) -> None:
        """Collect every configuration error and raise them together."""
        from kedro.framework.project import pipelines

        from roadmap_pipelines.project.config_checks import (
            PROJECT_KEYS,
            ConfigurationError,
            candidate_errors,
            flatten_keys,
            parameter_keys_read,
            top_level_sources,
            unknown_key_errors,
        )

        if self._context is None:
            return
        loader = self._context.config_loader
        environments = [loader.base_env, loader.default_run_env]
        if self._context.env and self._context.env not in environments:
            environments.append(self._context.env)
        sources = top_level_sources(Path(loader.conf_source), environments)
        known = set(PROJECT_KEYS)
        # every registered pipeline, not only the requested ones Kedro has loaded (Kedro does
        # the same for its suggestions when a pipeline name is unknown)
        pipelines.set_requested(None)
        for registered in pipelines.values():
            known |= parameter_keys_read(registered.inputs())
        runtime = flatten_keys(run_params.get("runtime_params") or {})
        # runtime params that are not parameters (the catalog's ${runtime_params:...}) are
        # read by the catalog, not by nodes
        catalog_keys = _catalog_runtime_keys(Path(loader.conf_source), environments)
        runtime = [key for key in runtime if key.split(".")[0] not in catalog_keys]
        errors = unknown_key_errors(sources, runtime, known)
        raw = loader["parameters"]
        tasks = {node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace}
        if any(name.startswith("params:modelling_tabular") for name in pipeline.inputs()):
            errors += candidate_errors(
                raw.get("modelling_tabular") or {},
                {
                    task: (spec or {}).get("problem")
                    for task, spec in (raw.get("tasks") or {}).items()
                },
                sorted(tasks),
                sources.get("modelling_tabular", "parameters"),
            )
        if errors:
            raise ConfigurationError(errors)


def _catalog_runtime_keys(conf_source: Path, environments: list[str]) -> set[str]:
    """Top-level names the catalog reads with ``${runtime_params:name}``."""
    import re

    names: set[str] = set()
    for environment in environments:
        for path in (conf_source / environment).glob("catalog*.yml"):
            names.update(re.findall(r"\$\{runtime_params:([A-Za-z_][\w]*)", path.read_text()))
    return names


class PartialFailureHooks:
    """List every series or task that failed inside a run, and fail the run if told to.

    Nodes that carry on past a failing series record it in a dataset the catalog marks
    ``metadata: {failures: true}`` (``ts_failures``) instead of stopping the run. Each record
    is logged as a warning when the dataset is saved; with ``on_partial_failure: fail`` in
    ``conf/base/parameters.yml`` the run then stops (its outputs are rolled back and the exit
    status is non-zero); with ``warn`` (the default) it goes on.
    """

    def __init__(self) -> None:
        self._policy = "warn"
        self._flagged: set[str] = set()

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: CatalogProtocol) -> None:
        """Find the failure datasets of this run and read the policy."""
        from roadmap_pipelines.project.config_checks import partial_failure_policy

        self._policy = partial_failure_policy(catalog)
        self._flagged = set()
        for name in pipeline.all_outputs():
            dataset = catalog.get(name, fallback_to_runtime_pattern=True)
            if ((getattr(dataset, "metadata", None) or {}).get("failures")) is True:
                self._flagged.add(name)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        """Log each failure record; stop the run under ``on_partial_failure: fail``."""
        if dataset_name not in self._flagged or not data:
            return
        records = data if isinstance(data, list) else [data]
        for record in records:
            logger.warning("%s: %s", dataset_name, record)
        summary = f"{len(records)} series or task(s) failed inside the run (see {dataset_name})"
        if self._policy == "fail":
            raise PartialFailureError(
                summary + "; on_partial_failure: fail in conf/base/parameters.yml stops the run"
            )
        logger.warning("%s; on_partial_failure: warn lets the run go on", summary)


class PartialFailureError(RuntimeError):
    """Some series or tasks failed inside a run whose policy is ``fail``."""


class ExecutionHooks:
    """Run the fan-outs on the engine of ``parameters_execution.yml`` for the whole run.

    ``local`` changes nothing. ``dask`` connects to the scheduler at ``scheduler_address`` (or
    starts a ``LocalCluster`` on 127.0.0.1) before any node runs and makes it joblib's backend
    for the run, so the library's ``joblib.Parallel`` calls (series chunks, CV folds, trial
    batches) run as Dask tasks without the library knowing about Dask or Kedro. The client and
    any cluster it started are closed when the run ends, failed or not.

    Register it last in ``HOOKS``: pluggy calls ``before_pipeline_run`` hooks last-registered
    first, so a scheduler that cannot be reached stops the run before other hooks snapshot or
    change anything.
    """

    def __init__(self) -> None:
        self._client: Any = None
        self._cluster: Any = None
        self._backend: Any = None

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        """Connect to (or start) the Dask cluster and make it joblib's backend."""
        from roadmap_pipelines.params.execution import Execution

        raw = catalog.load("params:execution") if "params:execution" in catalog else {}
        execution = Execution.model_validate(raw or {})
        if execution.engine == "local":
            return
        # Kedro records the runner as str(runner): "None" for the default SequentialRunner
        runner = str(run_params.get("runner"))
        if runner != "None" and "SequentialRunner" not in runner:
            raise ExecutionError(
                f"parameters_execution.yml: execution.engine 'dask' runs inside the nodes of a "
                f"SequentialRunner (the default); got --runner {runner}"
            )
        import joblib

        self._client, self._cluster = _dask_client(execution)
        # joblib's context is per thread: SequentialRunner runs every node in this thread
        self._backend = joblib.parallel_config(backend="dask")
        self._backend.__enter__()
        logger.info(
            "engine dask: %d worker(s), %d thread(s), dashboard %s",
            len(self._client.scheduler_info()["workers"]),
            sum(self._client.nthreads().values()),
            self._client.dashboard_link if self._cluster is None or execution.dashboard else "off",
        )

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Close the client and any cluster this run started."""
        self._close()

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Close the client and any cluster this run started."""
        self._close()

    def _close(self) -> None:
        if self._backend is not None:
            self._backend.__exit__(None, None, None)
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._backend = self._client = self._cluster = None


class ExecutionError(RuntimeError):
    """The execution engine of ``parameters_execution.yml`` cannot be used."""


def _dask_client(execution: Any) -> tuple[Any, Any]:
    """A client of the configured scheduler, or of a new LocalCluster (and that cluster)."""
    from distributed import Client, LocalCluster

    address = execution.scheduler_address
    if address is not None:
        try:
            client = Client(address, timeout=execution.connect_timeout_seconds)
        except (OSError, TimeoutError) as error:
            raise ExecutionError(
                f"parameters_execution.yml: execution.scheduler_address: no Dask scheduler "
                f"answered at {address} within {execution.connect_timeout_seconds:g} s "
                f"({error}). Start one there (`dask scheduler`, then `dask worker {address}`), "
                "fix the address, or set execution.engine: local"
            ) from error
        return client, None
    cluster = LocalCluster(
        n_workers=execution.n_workers,
        threads_per_worker=execution.threads_per_worker,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:8787" if execution.dashboard else None,
        # without a dashboard the scheduler still serves /health and /metrics, by default on
        # every interface: keep them on loopback too
        scheduler_kwargs={
            "dashboard_address": "127.0.0.1:8787" if execution.dashboard else "127.0.0.1:0"
        },
        memory_limit=execution.memory_limit,
    )
    return Client(cluster), cluster
