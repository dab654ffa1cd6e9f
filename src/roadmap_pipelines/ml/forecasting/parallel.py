"""Run one function over many series in chunks, as joblib tasks.

The chunks run on joblib's active backend: in this process when ``n_jobs`` is 1 or the run
is small (fewer than ``min_series`` series: starting worker processes, each importing
statsmodels, costs more than a few series' fits), in ``n_jobs`` local processes, or on a
Dask cluster's workers when the caller wraps the call in
``joblib.parallel_config(backend="dask")`` (the project's execution hook does; the Dask backend
ignores ``n_jobs`` and uses every worker thread, and a chunk lost with a worker is re-run).

Results do not depend on ``n_jobs`` or the chunking: every series is computed on its own,
in one BLAS thread (``threadpool_limits(1)``, in workers *and* in-process, so that no
floating-point reduction order differs), and results come back in the input order.
One BLAS thread is also much faster here: the state-space matrices are tiny and OpenBLAS
threads on two shared cores cost up to 15x per likelihood evaluation.

A series whose function raises is reported as a failure and the others carry on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from roadmap_pipelines.ml.forecasting.series import Series, failure

Outcome = tuple[Any, list[dict[str, Any]]]


def _run_chunk(
    function: Callable[..., Outcome], chunk: Sequence[Series], stage: str, shared: dict[str, Any]
) -> list[Outcome]:
    # statsmodels adds "always" filters for its warnings when first imported; import it
    # before the "ignore" below, or a worker's first series prints them anyway
    import statsmodels.tools.sm_exceptions  # noqa: F401
    from joblib import parallel_config
    from threadpoolctl import threadpool_limits

    outcomes = []
    # parallel_config: joblib calls inside a series' function stay in this task (a Dask task
    # would otherwise fan them out over the cluster again)
    with threadpool_limits(1), parallel_config(backend="threading"), warnings.catch_warnings():
        # statsmodels warns about convergence and start values on every other candidate;
        # what matters ends up in the outputs and ts_failures
        warnings.simplefilter("ignore")
        for series in chunk:
            try:
                outcomes.append(function(series, **shared))
            except Exception as error:  # noqa: BLE001 - one bad series must not stop the rest
                reason = f"{type(error).__name__}: {error}"
                outcomes.append((None, [failure(series.series_id, stage, reason)]))
    return outcomes


def _run_chunk_in_worker(
    function: Callable[..., Outcome], chunk: Sequence[Series], stage: str, shared: dict[str, Any]
) -> list[Outcome]:
    from roadmap_pipelines.ml.workers import exit_with_parent

    # a run killed with SIGKILL must not leave its workers behind
    exit_with_parent()
    return _run_chunk(function, chunk, stage, shared)


def map_series(
    function: Callable[..., Outcome],
    series: Sequence[Series],
    *,
    stage: str,
    n_jobs: int,
    chunk_size: int | None,
    min_series: int = 1,
    **shared: Any,
) -> list[Outcome]:
    """Apply ``function(series, **shared)`` to every series; return outcomes in order.

    Args:
        function: Returns ``(result, failures)`` for one series; must be picklable.
        series: The series.
        stage: Stage name recorded when ``function`` raises.
        n_jobs: joblib workers; 1 runs in this process (unless a distributed joblib backend
            is active).
        chunk_size: Series per task; ``None``: about four tasks per worker.
        min_series: Fewer series than this run in this process on joblib's default
            (local process) backend; a distributed backend (Dask) always gets the chunks.
        **shared: Keyword arguments passed to every call.

    Returns:
        One ``(result, failures)`` per series; ``result`` is ``None`` when it raised.
    """
    if not series:
        return []
    from joblib import Parallel, delayed
    from joblib._parallel_backends import LokyBackend
    from joblib.parallel import get_active_backend

    if len(series) < min_series and isinstance(get_active_backend()[0], LokyBackend):
        n_jobs = 1
    if chunk_size is None:
        # from n_jobs, never from the backend: the chunks (and so how the results' objects
        # are shared when pickled) must not change with the engine or a cluster losing a
        # worker mid-run; on a large cluster set chunk_size
        workers = max(1, n_jobs) if n_jobs > 0 else 4
        chunk_size = max(1, math.ceil(len(series) / (4 * workers)))
    chunks = [series[start : start + chunk_size] for start in range(0, len(series), chunk_size)]
    if len(chunks) == 1:
        per_chunk = [_run_chunk(function, chunks[0], stage, shared)]
    else:
        # Parallel runs n_jobs=1 in this process on the default backend. One chunk a task
        # (batch_size=1): joblib's timing-based batching would group chunks differently from
        # run to run, and objects shared within one task's results pickle differently.
        # in worker processes, each worker ends with the run (see _run_chunk_in_worker)
        run = _run_chunk_in_worker if n_jobs != 1 else _run_chunk
        per_chunk = Parallel(n_jobs=n_jobs, batch_size=1)(
            delayed(run)(function, chunk, stage, shared) for chunk in chunks
        )
    return [outcome for chunk in per_chunk for outcome in chunk]
