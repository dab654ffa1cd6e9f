"""The project's default runner: independent parts of a pipeline run side by side in forked
processes, each part sequentially, so a run uses more than one core.

Kedro's ``ParallelRunner`` sends every node to a worker and every dataset through shared
memory (about 150 ms a node here); its ``ThreadRunner`` shares one interpreter lock. This
runner instead cuts the pipeline into *groups*: nodes that descend from the same set of source
nodes (those without producers in the pipeline). The shipped tasks and the time-series
pipeline start from different raw data, so each is one group, and the report that reads them
all is a fourth. A group's nodes only need outputs of groups whose sources are a subset of
its own, so groups run in that order, up to ``max_workers`` at once, each in a child forked
from the run's process: the child inherits the catalog, the hooks and the imported modules,
runs its nodes with ``SequentialRunner`` (node and dataset hooks fire there: the rollback
journal moves old files aside from the child, the partial-failure hook raises there), sends
back the in-memory outputs later groups read, and exits. Each node computes exactly what it
computes in a sequential run, so outputs are the same bytes.

A group runs in the run's own process when nothing else could run beside it, and from then on
every group does (no fork after the parent ran nodes: an OpenMP runtime in use does not
survive a fork). The run stays sequential when forking is unsafe or impossible: another
thread is alive (a Dask client, a notebook kernel), the platform has no ``fork``, or
``max_workers`` is 1. The first failing group stops the others (they are killed with their
own workers) and its error is raised in the run's process, so Kedro's error hooks (the
rollback among them) run as after a sequential failure.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, cast

from kedro.io import MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from roadmap_pipelines.ml.workers import exit_with_parent

if TYPE_CHECKING:
    from kedro.io import CatalogProtocol
    from kedro.pipeline.node import Node
    from pluggy import PluginManager

logger = logging.getLogger(__name__)


@dataclass
class NodeGroup:
    """Nodes that descend from the same source nodes, in topological order."""

    sources: frozenset[str]
    nodes: list[Node] = field(default_factory=list)
    after: set[frozenset[str]] = field(default_factory=set)

    @property
    def name(self) -> str:
        """A short label: the common namespace of the nodes, or the first node's name."""
        spaces = {node.namespace.split(".")[0] if node.namespace else "" for node in self.nodes}
        if len(spaces) == 1 and "" not in spaces:
            return spaces.pop()
        return f"{self.nodes[0].name} and {len(self.nodes) - 1} more"


def node_groups(pipeline: Pipeline) -> list[NodeGroup]:
    """Cut ``pipeline`` into groups of nodes with the same source nodes among their ancestors.

    Returns:
        The groups in an order that respects their dependencies; each knows the groups
        (by their sources) it must wait for.
    """
    dependencies = pipeline.node_dependencies
    sources: dict[Node, frozenset[str]] = {}
    groups: dict[frozenset[str], NodeGroup] = {}
    for node in pipeline.nodes:  # topological order
        parents = dependencies[node]
        own = frozenset().union(*(sources[parent] for parent in parents)) or {node.name}
        sources[node] = frozenset(own)
        group = groups.setdefault(sources[node], NodeGroup(sources[node]))
        group.nodes.append(node)
        group.after.update(sources[parent] for parent in parents if sources[parent] != own)
    return list(groups.values())


class GroupRunner(SequentialRunner):
    """Run independent groups of nodes side by side in forked processes (see the module).

    Args:
        is_async: Load and save each node's data with threads, as Kedro's runners do.
        max_workers: Groups running at once; by default the number of CPU cores plus one
            (measured on 2 shared cores: 3 groups at once took 0.85x the time of 2, as one
            group's file reads and writes leave its core to another).
    """

    def __init__(self, is_async: bool = False, max_workers: int | str | None = None) -> None:
        super().__init__(is_async=is_async)
        workers = int(max_workers) if max_workers is not None else (os.cpu_count() or 1) + 1
        if workers < 1:
            raise ValueError(f"--runner-params max_workers must be at least 1, got {workers}")
        self._max_workers = workers

    @property
    def max_workers(self) -> int:
        """Groups running at once."""
        return self._max_workers

    @property
    def _logger(self) -> logging.Logger:
        # Kedro's per-node chatter stays under kedro.runner (quiet in conf/logging.yml)
        return logging.getLogger("kedro.runner")

    def _run(
        self,
        pipeline: Pipeline,
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None = None,
        run_id: str | None = None,
    ) -> None:
        groups = node_groups(pipeline)
        reason = _why_sequential(self._max_workers, len(groups))
        if reason:
            logger.info("running the %d node(s) in one process: %s", len(pipeline.nodes), reason)
            super()._run(pipeline, catalog, hook_manager, run_id)
            return
        _Schedule(self, groups, catalog, hook_manager, run_id).run()

    def run_in_process(
        self,
        pipeline: Pipeline,
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None,
        run_id: str | None,
    ) -> None:
        """Run ``pipeline``'s nodes one after another in this process."""
        super()._run(pipeline, catalog, hook_manager, run_id)


def _why_sequential(max_workers: int, groups: int) -> str | None:
    """Why this run cannot use forked groups, or None when it can."""
    if groups < 2:
        return "one group of dependent nodes"
    if max_workers < 2:
        return "max_workers is 1"
    if "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin":
        return "this platform cannot fork safely"
    threads = [thread.name for thread in threading.enumerate()]
    if len(threads) > 1:
        return f"other threads are alive ({', '.join(threads[1:])}), forking is unsafe"
    return None


class _Schedule:
    """One run of node groups: start each group when the groups before it are done."""

    def __init__(
        self,
        runner: GroupRunner,
        groups: list[NodeGroup],
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None,
        run_id: str | None,
    ) -> None:
        self.runner = runner
        self.catalog = catalog
        self.hook_manager = hook_manager
        self.run_id = run_id
        self.todo = list(groups)
        self.done: set[frozenset[str]] = set()
        self.running: dict[Connection, tuple[NodeGroup, Any]] = {}
        self.forking = True
        consumers: dict[str, set[frozenset[str]]] = {}
        for group in groups:
            for node in group.nodes:
                for name in node.inputs:
                    consumers.setdefault(name, set()).add(group.sources)
        self.consumers = consumers

    def run(self) -> None:
        try:
            while self.todo or self.running:
                ready = [group for group in self.todo if group.after <= self.done]
                if not self.running and not ready:
                    raise RuntimeError(f"groups wait for each other: {self.todo}")
                if not self.running and len(ready) == 1:
                    # nothing could run beside it: run it here, and fork no more afterwards
                    self._run_here(ready[0])
                    continue
                while ready and len(self.running) < self.runner.max_workers:
                    self._fork(ready.pop(0))
                self._collect()
        except BaseException:
            self._stop_all()
            raise

    def _run_here(self, group: NodeGroup) -> None:
        self.forking = False
        self.todo.remove(group)
        logger.info("group %s: %d node(s) in the run's process", group.name, len(group.nodes))
        self.runner.run_in_process(
            Pipeline(group.nodes), self.catalog, self.hook_manager, self.run_id
        )
        self.done.add(group.sources)

    def _fork(self, group: NodeGroup) -> None:
        if not self.forking:
            self._run_here(group)
            return
        self.todo.remove(group)
        shared = sorted(
            name
            for node in group.nodes
            for name in node.outputs
            if self.consumers.get(name, set()) - {group.sources}
            and isinstance(self.catalog.get(name, fallback_to_runtime_pattern=True), MemoryDataset)
        )
        receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
        process = multiprocessing.get_context("fork").Process(
            target=_child,
            args=(self, group, shared, send),
            name=f"group {group.name}",
            daemon=False,
        )
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        process.start()
        send.close()
        self.running[receive] = (group, process)
        logger.info("group %s: %d node(s) in process %d", group.name, len(group.nodes), process.pid)

    def _collect(self) -> None:
        for ready in wait(list(self.running)):
            connection = cast("Connection", ready)
            group, process = self.running.pop(connection)
            message: tuple[Any, ...]
            try:
                message = connection.recv()
            except EOFError:
                process.join()
                died = RuntimeError(
                    f"the process of group {group.name} ended without a result (exit code "
                    f"{process.exitcode}; a negative code is the signal that killed it)"
                )
                message = ("error", [died], "")
            finally:
                connection.close()
                process.join()
            if message[0] == "error":
                raise _rebuilt(message[1], message[2], group.name)
            _, outputs, states = message
            for name, value in outputs.items():
                self.catalog.save(name, value)
            _merge_states(self.hook_manager, states)
            self.done.add(group.sources)

    def _stop_all(self) -> None:
        for connection, (_, process) in list(self.running.items()):
            _kill_tree(process.pid)
            process.join()
            connection.close()
        self.running.clear()


def _child(schedule: _Schedule, group: NodeGroup, shared: list[str], send: Connection) -> None:
    """Run one group in a forked process and send back its shared outputs or its error."""
    # the run's process handles Ctrl-C and SIGTERM (it ends this process, then rolls back);
    # die with it if it is killed outright
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    exit_with_parent()
    try:
        schedule.runner.run_in_process(
            Pipeline(group.nodes), schedule.catalog, schedule.hook_manager, schedule.run_id
        )
        outputs = {name: schedule.catalog.load(name) for name in shared}
        send.send(("ok", outputs, _states(schedule.hook_manager)))
    except BaseException as error:  # noqa: BLE001 - every failure goes to the run's process
        send.send(("error", _portable_chain(error), traceback.format_exc()))
    finally:
        send.close()
        for handler in logging.getLogger().handlers:
            handler.flush()


def _kill_tree(pid: int | None) -> None:
    import psutil

    if pid is None:
        return
    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(pid)
        processes = [*parent.children(recursive=True), parent]
        for process in processes:
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(processes, timeout=5)


def _portable_chain(error: BaseException) -> list[BaseException]:
    """``error`` and its causes, each one picklable (or a RuntimeError saying what it was)."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < 10:
        try:
            pickle.loads(pickle.dumps(seen))
            chain.append(seen)
        except Exception:  # noqa: BLE001 - any unpicklable error is replaced by its text
            chain.append(RuntimeError(f"{type(seen).__name__}: {seen}"))
        seen = seen.__cause__ or seen.__context__
    return chain


def _rebuilt(chain: list[BaseException], text: str, group: str) -> BaseException:
    """The child's error with its causes linked again and its traceback as a note."""
    for error, cause in zip(chain, chain[1:], strict=False):
        error.__cause__ = cause
    error = chain[0]
    error.add_note(f"raised in the process of group {group}:\n{text}")
    return error


def _states(hook_manager: PluginManager | None) -> dict[str, Any]:
    """What hooks that keep per-node state recorded in this process (``forked_state``)."""
    # Kedro's null manager answers every attribute with None: look at its class instead
    if not callable(getattr(type(hook_manager), "get_plugins", None)):
        return {}
    return {
        str(hook_manager.get_name(plugin)): plugin.forked_state()  # type: ignore[union-attr]
        for plugin in hook_manager.get_plugins()  # type: ignore[union-attr]
        if hasattr(plugin, "forked_state")
    }


def _merge_states(hook_manager: PluginManager | None, states: dict[str, Any]) -> None:
    for name, state in states.items():
        plugin = hook_manager.get_plugin(name)  # type: ignore[union-attr]
        if plugin is not None and hasattr(plugin, "merge_forked_state"):
            plugin.merge_forked_state(state)
