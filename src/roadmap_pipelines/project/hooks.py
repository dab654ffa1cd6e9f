"""Project hooks that report on a run: one log line per node with its wall time and a summary,
and the series or tasks that failed inside it (stopping the run if configured to).

The other hooks are beside this module: ``rollback_hooks`` (one run at a time, all-or-nothing
outputs), ``config_hooks`` (tasks and configuration checks before the first node),
``execution_hooks`` (the execution engine and thread limits) and ``environment_hooks``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

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

    def forked_state(self) -> dict[str, float]:
        """The node durations measured in this process (a group run by ``GroupRunner``)."""
        return dict(self._durations)

    def merge_forked_state(self, durations: dict[str, float]) -> None:
        """Add the node durations a forked group measured to this run's summary."""
        self._durations.update(durations)

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
