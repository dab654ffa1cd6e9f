"""Hooks that decide how a run executes: the engine of ``parameters_execution.yml`` (local
processes or a Dask cluster) and single-threaded BLAS/OpenMP libraries."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol

if TYPE_CHECKING:
    from distributed import LocalCluster

    from roadmap_pipelines.params.execution import Execution

logger = logging.getLogger(__name__)


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
        # Kedro records the runner as str(runner): "None" for a session's default
        # SequentialRunner; the project's GroupRunner runs in this process when a Dask client's
        # threads are alive (forking then is unsafe), so joblib's backend reaches its nodes
        runner = str(run_params.get("runner"))
        if runner != "None" and not any(
            name in runner for name in ("SequentialRunner", "GroupRunner")
        ):
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


def _dask_client(execution: Execution) -> tuple[Any, Any]:
    """A client of the configured scheduler, or of a new LocalCluster (and that cluster)."""
    from distributed import Client

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
    cluster = start_local_cluster(execution)
    return Client(cluster), cluster


def start_local_cluster(execution: Execution) -> LocalCluster:
    """The ``LocalCluster`` of ``execution`` (no ``scheduler_address``), bound to 127.0.0.1.

    Args:
        execution: The validated ``execution`` block.

    Returns:
        The started cluster; the caller closes it.
    """
    from distributed import LocalCluster

    dashboard = "127.0.0.1:8787" if execution.dashboard else None
    return LocalCluster(
        n_workers=execution.n_workers,
        threads_per_worker=execution.threads_per_worker,
        processes=True,
        host="127.0.0.1",
        dashboard_address=dashboard,
        # without a dashboard the scheduler still serves /health and /metrics, by default on
        # every interface: keep them on loopback too
        scheduler_kwargs={"dashboard_address": dashboard or "127.0.0.1:0"},
        memory_limit=execution.memory_limit,
        # each worker samples its stack every 10 ms for the dashboard's profile page; with no
        # dashboard nobody can read it, and on two cores it costs the tasks 2-3 %
        # (a dotted key: the nanny merges this into its config one level deep)
        config={"distributed.worker.profile.enabled": execution.dashboard},
    )
