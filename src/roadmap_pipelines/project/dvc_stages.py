"""Generate ``dvc.yaml`` from the pipeline registry and the catalog, so Kedro and DVC agree.

Every registered pipeline (``__default__`` aside) becomes one DVC stage per task: a pipeline
whose nodes carry namespaces (one per task, whatever conf/ declares) gets a stage
``<name>-<task>`` running ``kedro run --pipelines=<name> --namespaces=<task>`` per top-level
namespace, plus a stage ``<name>`` for its nodes outside any namespace
(``kedro run --pipelines=<name> --nodes=<those nodes>``); a pipeline without namespaces is
one stage ``<name>`` running ``kedro run --pipelines=<name>``. Each stage has

- ``deps``: the pipeline's folder, every project module it imports (found by reading the
  source, imports inside functions included, followed through the modules it reaches), the
  catalog files that declare its datasets, and the local files of its input datasets;
- ``params``: the parameter keys the pipeline reads (``params:preprocessing.timeseries``
  tracks ``preprocessing.timeseries``, not all of ``preprocessing``), each in the
  ``conf/base/parameters*.yml`` file holding its top-level key;
- ``outs``, ``metrics``, ``plots``: the local files of the datasets it writes, sorted by the
  catalog convention (``dvc_project``).

How a dataset is sorted into ``outs``, ``metrics`` or ``plots`` and how the project is read
are in ``dvc_project``; writing and checking the files in ``dvc_files``. The functions here
are pure apart from reading source files, so they can be tested on small fakes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.project.dvc_project import (
    OUTPUT_KINDS,
    DatasetFile,
    DvcStagesError,
    ProjectView,
    project_path,
)
from roadmap_pipelines.project.module_imports import module_name, module_references, project_modules

if TYPE_CHECKING:
    from kedro.pipeline import Pipeline


# --- one stage per pipeline -------------------------------------------------------------------


def parameter_keys(dataset_names: Iterable[str], all_keys: Iterable[str]) -> set[str]:
    """The parameter keys a pipeline reads, as DVC names them (dotted paths).

    A key read whole covers the keys below it, so only the outermost ones are kept.

    Args:
        dataset_names: A pipeline's inputs (``params:<key>``, ``parameters``, datasets).
        all_keys: Every top-level key in the parameters files (what ``parameters`` reads).

    Returns:
        ``{"params:preprocessing.timeseries", "params:random_state"}`` gives
        ``{"preprocessing.timeseries", "random_state"}``; adding ``params:preprocessing``
        gives ``{"preprocessing", "random_state"}``.
    """
    keys: set[str] = set()
    for name in dataset_names:
        if name == "parameters":
            keys.update(all_keys)
        elif name.startswith("params:"):
            keys.add(name.removeprefix("params:"))
    return {key for key in keys if not any(key.startswith(f"{other}.") for other in keys)}


def parameter_value(parameters: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted ``key`` in ``parameters``, as Kedro resolves ``params:<key>``.

    Raises:
        KeyError: If a part of the path is missing.
    """
    value: Any = parameters
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(key)
        value = value[part]
    return value


def _entry(path: str, options: Mapping[str, Any] | None) -> str | dict[str, dict[str, Any]]:
    return {path: dict(sorted(options.items()))} if options else path


def pipeline_folder(name: str, package: str, source_dir: Path) -> Path | None:
    """``<package>/pipelines/<name>``, where ``find_pipelines()`` finds pipeline ``name``."""
    folder = source_dir / package / "pipelines" / name
    return folder if (folder / "__init__.py").is_file() else None


def stage_code(name: str, pipeline: Pipeline, view: ProjectView) -> list[str]:
    """Source dependencies of one pipeline: its folder and every project module it imports.

    The roots are the folder's modules and the modules of the nodes' functions (a pipeline
    may use functions defined elsewhere); the folder itself is one dependency, so only the
    modules outside it are listed.

    Args:
        name: Pipeline name.
        pipeline: The pipeline.
        view: The project.

    Returns:
        Paths relative to the project root.
    """
    folder = pipeline_folder(name, view.package, view.source_dir)
    roots: set[str] = set()
    if folder is not None:
        roots.update(module_name(path, view.source_dir) for path in folder.rglob("*.py"))
    for node in pipeline.nodes:
        func = getattr(node.func, "func", node.func)  # functools.partial
        roots.add(getattr(func, "__module__", "") or "")
    for dataset in pipeline.datasets():
        file = view.datasets.get(dataset)
        if file is not None:
            roots.update(module_references(file.type.split(), view.package))
    for key in parameter_keys(pipeline.inputs(), view.parameter_files):
        try:
            value = parameter_value(view.parameters, key)
        except KeyError:
            continue  # build_stage reports it
        roots.update(module_references(value, view.package))

    modules = project_modules(roots, view.package, view.source_dir)
    paths = {
        project_path(path, view.root)
        for path in modules.values()
        if folder is None or not path.is_relative_to(folder)
    }
    if folder is not None:
        paths.add(project_path(folder, view.root))
    return sorted(paths)


def build_stage(
    name: str, pipeline: Pipeline, view: ProjectView, selector: str = ""
) -> dict[str, Any]:
    """The ``dvc.yaml`` stage of one pipeline, or of the part of it ``selector`` picks.

    Args:
        name: Pipeline name.
        pipeline: The pipeline, or the part of it the stage runs.
        view: The project.
        selector: Options added to ``kedro run --pipelines=<name>`` that pick ``pipeline``
            out of the registered one (``--namespaces=credit``); empty for all of it.

    Returns:
        ``cmd``, ``deps``, ``params`` and whichever of ``outs``, ``metrics``, ``plots`` apply,
        every list sorted.

    Raises:
        DvcStagesError: If a parameter key is in no parameters file, or a dataset is
            Kedro-versioned.
    """
    inputs = [
        view.datasets[dataset] for dataset in sorted(pipeline.inputs() & view.datasets.keys())
    ]
    # "<dataset>#<n>": a file the dataset writes beside its own (load_project)
    written = pipeline.all_outputs()
    outputs = [
        view.datasets[dataset]
        for dataset in sorted(view.datasets)
        if dataset.split("#")[0] in written
    ]
    _refuse_versioned(inputs + outputs)

    deps = set(stage_code(name, pipeline, view))
    deps.update(file.config_file for file in inputs + outputs if file.config_file)
    deps.update(file.path for file in inputs)
    deps.update(_pickled_code(name, inputs, view))

    params = _stage_params(name, pipeline, view)
    cmd = f"kedro run --pipelines={name}" + (f" {selector}" if selector else "")
    stage: dict[str, Any] = {"cmd": cmd, "deps": sorted(deps)}
    if params:
        stage["params"] = [{path: sorted(keys)} for path, keys in sorted(params.items())]
    for kind in OUTPUT_KINDS:
        entries = {file.path: file.options for file in outputs if file.kind == kind}
        if entries:
            stage[kind] = [_entry(path, entries[path]) for path in sorted(entries)]
    return stage


def _refuse_versioned(files: list[DatasetFile]) -> None:
    for file in files:
        if file.versioned:
            raise DvcStagesError(
                f"catalog entry {file.name!r} is `versioned: true`: Kedro would write "
                f"{file.path}/<timestamp>/..., a new path every run, which DVC cannot track. "
                "Set `versioned: false`; DVC versions the file."
            )


def _stage_params(name: str, pipeline: Pipeline, view: ProjectView) -> dict[str, set[str]]:
    """The parameter keys the stage reads, by the parameters file holding each."""
    params: dict[str, set[str]] = {}
    for key in parameter_keys(pipeline.inputs(), view.parameter_files):
        top = key.split(".")[0]
        try:
            parameter_value(view.parameters, key)
        except KeyError:
            where = (
                f"{view.parameter_files[top]} does not declare"
                if top in view.parameter_files
                else "no parameters file under conf/base declares"
            )
            raise DvcStagesError(
                f"pipeline {name!r} reads parameter {key!r}, which {where}; "
                "DVC can only track parameters kept in a file."
            ) from None
        params.setdefault(view.parameter_files[top], set()).add(key)
    return params


def _pickled_code(name: str, inputs: list[DatasetFile], view: ProjectView) -> set[str]:
    """Shared modules whose classes a pickled input may hold: those of the pipeline writing it.

    Unpickling a fitted preprocessor runs ``CorrelationFilter`` from the project, so a change
    to that module must re-run the stages that load the pickle, not only the one writing it.
    """
    modules: set[str] = set()
    for file in inputs:
        if "pickle" not in file.type.lower():
            continue
        for producer, pipeline in view.pipelines.items():
            if producer in (name, "__default__") or file.name not in pipeline.all_outputs():
                continue
            folder = pipeline_folder(producer, view.package, view.source_dir)
            own = project_path(folder, view.root) if folder is not None else None
            modules.update(path for path in stage_code(producer, pipeline, view) if path != own)
    return modules


def _output_paths(stage: Mapping[str, Any]) -> list[str]:
    return [
        entry if isinstance(entry, str) else next(iter(entry))
        for kind in OUTPUT_KINDS
        for entry in stage.get(kind, [])
    ]


def pipeline_tasks(pipeline: Pipeline) -> list[str]:
    """The tasks a pipeline runs for: the top-level namespaces of its nodes, sorted.

    The pipelines build one namespace per configured task, so this follows ``conf/`` without
    reading it.
    """
    return sorted({node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace})


def stage_parts(name: str, pipeline: Pipeline) -> list[tuple[str, Pipeline, str]]:
    """Split a pipeline into the parts DVC runs as separate stages.

    Args:
        name: Pipeline name.
        pipeline: The registered pipeline.

    Returns:
        ``(stage name, part, kedro run options selecting it)``: one part per task
        (``<name>-<task>``, ``--namespaces=<task>``) and one for the nodes outside any
        namespace (``<name>``, ``--nodes=...``); the whole pipeline as ``<name>`` if it has no
        namespaces; none if it has no nodes (a per-task pipeline no configured task asks for,
        such as modelling_tabular_dask: ``kedro run`` refuses an empty pipeline).

    Raises:
        DvcStagesError: If a task name has characters DVC refuses in a stage name.
    """
    from kedro.pipeline import Pipeline

    if not pipeline.nodes:
        return []
    tasks = pipeline_tasks(pipeline)
    if not tasks:
        return [(name, pipeline, "")]
    parts = []
    for task in tasks:
        stage = f"{name}-{task}"
        if not is_valid_stage_name(stage):
            raise DvcStagesError(
                f"pipeline {name!r}: task {task!r} gives stage name {stage!r}, which DVC "
                "refuses; task names may only use letters, digits, '_' and '-'"
            )
        parts.append((stage, pipeline.filter(node_namespaces=[task]), f"--namespaces={task}"))
    shared = [node for node in pipeline.nodes if not node.namespace]
    if shared:
        nodes = ",".join(sorted(node.name for node in shared))
        parts.append((name, Pipeline(shared), f"--nodes={nodes}"))
    return parts


def is_valid_stage_name(name: str) -> bool:
    """Whether DVC accepts ``name`` as a stage name (no punctuation but ``_`` and ``-``)."""
    return bool(name) and all(char.isalnum() or char in "_-" for char in name)


def _check_handovers(name: str, parts: list[tuple[str, Pipeline, str]], view: ProjectView) -> None:
    """Stages of one pipeline hand data over through files only, never through memory."""
    writers = {dataset: stage for stage, part, _ in parts for dataset in part.all_outputs()}
    for stage, part, _ in parts:
        for dataset in sorted(part.inputs()):
            writer = writers.get(dataset)
            if writer not in (None, stage) and dataset not in view.datasets:
                raise DvcStagesError(
                    f"pipeline {name!r}: stage {stage!r} reads {dataset!r}, which stage "
                    f"{writer!r} computes in memory; give {dataset!r} a catalog entry with a "
                    "local file so the two stages can run apart"
                )


def build_dvc_yaml(view: ProjectView) -> dict[str, Any]:
    """``dvc.yaml`` as a mapping: stages per registered pipeline (but ``__default__``) and task.

    Args:
        view: The project.

    Returns:
        ``{"stages": {name: stage}}`` with stages in name order.

    Raises:
        DvcStagesError: If two pipelines write the same file (DVC allows one writer a path),
            or stages of one pipeline would hand over data in memory.
    """
    stages: dict[str, dict[str, Any]] = {}
    for name in sorted(view.pipelines):
        if name == "__default__":
            continue
        parts = stage_parts(name, view.pipelines[name])
        _check_handovers(name, parts, view)
        for stage, part, selector in parts:
            stages[stage] = build_stage(name, part, view, selector)
    stages = dict(sorted(stages.items()))
    writers: dict[str, list[str]] = {}
    for name, built in stages.items():
        for path in _output_paths(built):
            writers.setdefault(path, []).append(name)
    shared = {path: names for path, names in writers.items() if len(names) > 1}
    if shared:
        raise DvcStagesError(
            "DVC allows one stage to write a file, but these pipelines share outputs: "
            + "; ".join(f"{path} ({', '.join(names)})" for path, names in sorted(shared.items()))
            + ". Register pipelines that do not overlap (no sums of other pipelines)."
        )
    return {"stages": stages}


def blas_dependent_outputs(view: ProjectView) -> list[str]:
    """Output files whose bytes may depend on the BLAS kernel the machine loads.

    Those written by nodes tagged ``BLAS_TAG`` (fits that go through BLAS), and everything
    computed from them, followed through the whole registry.

    Args:
        view: The project.

    Returns:
        Paths relative to the project root, sorted.
    """
    from kedro.pipeline import Pipeline

    from roadmap_pipelines.project.numeric_env import BLAS_TAG

    everything = Pipeline(
        [pipeline for name, pipeline in view.pipelines.items() if name != "__default__"]
    )
    tainted: set[str] = set()
    for node in everything.nodes:  # topologically sorted: producers come first
        if BLAS_TAG in node.tags or tainted.intersection(node.inputs):
            tainted.update(node.outputs)
    return sorted(view.datasets[name].path for name in tainted if name in view.datasets)


def all_outputs(dvc_yaml: Mapping[str, Any]) -> list[str]:
    """Every output path of every stage, sorted."""
    return sorted(path for stage in dvc_yaml["stages"].values() for path in _output_paths(stage))
