"""What ``kedro dvc sync`` knows about a Kedro project: the catalog convention that sorts a
dataset into a stage's ``outs``, ``metrics`` or ``plots``, and ``load_project``, which reads
the pipeline registry, catalog and parameters into a ``ProjectView``.

Catalog convention (``metadata.dvc`` of an entry or dataset factory; absent means ``outs``)::

    metadata:
      dvc: metrics                    # stage `metrics`, cache: false (git keeps the file)
      dvc: plots                      # stage `plots`, cache: false
      dvc: {plots: {x: fpr, y: tpr, template: linear, title: ROC}}
      dvc: {outs: {cache: false}}     # any kind takes DVC's output flags: cache, persist, ...
    reproducible: false               # not in any stage: a measurement of the run (durations)

Only ``load_project`` touches Kedro's machinery.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from kedro.io import DataCatalog
    from kedro.pipeline import Pipeline

METADATA_KEY = "dvc"
OUTPUT_KINDS = ("outs", "metrics", "plots")
# DVC 3 accepts these flags on a stage's outs/metrics/plots entries (dvc/schema.py) ...
OUTPUT_FLAGS = frozenset({"cache", "persist", "remote", "push", "desc", "type", "labels", "meta"})
# ... and these properties on plots entries only.
PLOT_PROPERTIES = frozenset({"x", "y", "x_label", "y_label", "title", "template", "header"})


class DvcStagesError(ValueError):
    """The pipelines and the catalog cannot be expressed as DVC stages; the message says why."""


@dataclass(frozen=True)
class DatasetFile:
    """A catalog dataset stored in a local file or folder inside the project.

    Attributes:
        name: Dataset name as the pipelines use it (``credit.tabular_train``).
        path: File or folder, relative to the project root, POSIX separators.
        kind: ``outs``, ``metrics`` or ``plots``: where a stage writing it lists it.
        options: DVC flags and plot properties for that entry (``cache: false``, ``x``, ...).
        config_file: Catalog file declaring the entry or factory, relative to the root.
        type: The entry's ``type``.
        versioned: Whether the entry is Kedro-versioned (refused: DVC versions the files).
    """

    name: str
    path: str
    kind: str = "outs"
    options: Mapping[str, Any] | None = None
    config_file: str | None = None
    type: str = ""
    versioned: bool = False


@dataclass(frozen=True)
class ProjectView:
    """What the generator needs to know about a Kedro project.

    Attributes:
        root: Project root (holds ``pyproject.toml``, ``dvc.yaml``).
        package: Python package name (``roadmap_pipelines``).
        source_dir: Folder holding the package, absolute.
        pipelines: Registered pipelines by name, ``__default__`` included or not.
        datasets: Every local-file dataset the pipelines name, by dataset name.
        parameter_files: Top-level parameter key → parameters file relative to the root.
        parameters: Top-level parameter key → its raw value in that file.
    """

    root: Path
    package: str
    source_dir: Path
    pipelines: Mapping[str, Pipeline]
    datasets: Mapping[str, DatasetFile]
    parameter_files: Mapping[str, str]
    parameters: Mapping[str, Any]


def project_path(path: Path, root: Path) -> str:
    """``path`` relative to the project ``root``, with POSIX separators."""
    return path.relative_to(root).as_posix()


# --- catalog convention -----------------------------------------------------------------------


def dvc_output(dataset: str, metadata: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """Read the ``metadata.dvc`` convention of one catalog entry.

    Args:
        dataset: Dataset name, for error messages.
        metadata: The entry's ``metadata`` mapping, or ``None``.

    Returns:
        The stage section (``outs``, ``metrics`` or ``plots``) and the DVC options of the
        entry. Metrics and plots default to ``cache: false`` so that git keeps them and
        ``dvc metrics diff`` / ``dvc plots diff`` read them from any commit.

    Raises:
        DvcStagesError: If the value is not one of the documented forms.
    """
    spec = (metadata or {}).get(METADATA_KEY)
    if spec is None:
        return "outs", {}
    kind: Any
    options: Any
    if isinstance(spec, str):
        kind, options = spec, {}
    elif isinstance(spec, Mapping) and len(spec) == 1:
        kind, options = next(iter(spec.items()))
        options = options if options is not None else {}
    else:
        kind, options = None, None
    if kind not in OUTPUT_KINDS or not isinstance(options, Mapping):
        raise DvcStagesError(
            f"catalog entry {dataset!r}: metadata.dvc must be one of {list(OUTPUT_KINDS)} or a "
            f"mapping of one of them to DVC options, e.g. {{plots: {{x: fpr, y: tpr}}}}; "
            f"got {spec!r}"
        )
    allowed = OUTPUT_FLAGS | (PLOT_PROPERTIES if kind == "plots" else frozenset())
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DvcStagesError(
            f"catalog entry {dataset!r}: metadata.dvc.{kind} does not take {unknown}; "
            f"allowed: {sorted(allowed)}"
        )
    defaults = {"cache": False} if kind != "outs" else {}
    return kind, defaults | dict(options)


# --- reading a real project -------------------------------------------------------------------


def _config_files(conf_env: Path, patterns: Iterable[str]) -> list[Path]:
    """Config files Kedro's ``OmegaConfigLoader`` reads for ``patterns`` (hidden ones not)."""
    paths = {
        path
        for pattern in patterns
        for path in conf_env.glob(pattern)
        if path.is_file()
        and path.suffix in {".yml", ".yaml", ".json"}
        and not any(part.startswith(".") for part in path.relative_to(conf_env).parts)
    }
    return sorted(paths)


def _top_level(files: Iterable[Path], root: Path) -> dict[str, tuple[str, Any]]:
    """Top-level key → (file relative to ``root``, raw value), as DVC reads the files."""
    found: dict[str, tuple[str, Any]] = {}
    for path in files:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in content.items():
            found[str(key)] = (project_path(path, root), value)
    return found


def _local_path(config: Mapping[str, Any], root: Path) -> str | None:
    """The project-relative file or folder of a resolved catalog entry, if it is local."""
    from kedro.io.core import get_protocol_and_path

    location = config.get("filepath") or config.get("path")
    if not isinstance(location, str):
        return None
    protocol, path = get_protocol_and_path(location)
    if protocol != "file":
        return None
    absolute = Path(os.path.normpath(Path(path) if Path(path).is_absolute() else root / path))
    if not absolute.is_relative_to(root):
        raise DvcStagesError(f"{location} lies outside the project; DVC tracks files inside it")
    return project_path(absolute, root)


def load_project(root: Path) -> ProjectView:
    """Read a Kedro project's registry, and its catalog and parameters in ``conf/base``.

    Only the base environment is read: it is what git shares, so the generated file is the
    same on every machine (``conf/local`` is personal and git-ignored).

    Args:
        root: Project root.

    Returns:
        The view the other functions work on.
    """
    from kedro.config import OmegaConfigLoader
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project
    from kedro.io import DataCatalog

    root = root.resolve()
    metadata = bootstrap_project(root)
    with KedroSession.create(project_path=root, env="base") as session:
        # the base class's __enter__ is annotated as AbstractSession; create() made a KedroSession
        assert isinstance(session, KedroSession)
        context = session.load_context()
        catalog = context.catalog
        loader = context.config_loader
    # settings.py configures these classes; the context types them by their protocols
    assert isinstance(catalog, DataCatalog)
    assert isinstance(loader, OmegaConfigLoader)
    conf_env = Path(loader.conf_source) / loader.base_env
    patterns = getattr(loader, "config_patterns", {})
    entries = _top_level(_config_files(conf_env, patterns.get("catalog", ["catalog*"])), root)
    parameters = _top_level(
        _config_files(conf_env, patterns.get("parameters", ["parameters*"])), root
    )

    registry = dict(pipelines)
    names = {
        name
        for pipeline in registry.values()
        for name in pipeline.datasets()
        if not name.startswith("params:") and name != "parameters"
    }
    datasets = _dataset_files(catalog, names, entries, root)
    return ProjectView(
        root=root,
        package=metadata.package_name,
        source_dir=Path(metadata.source_dir).resolve(),
        pipelines=registry,
        datasets=datasets,
        parameter_files={key: file for key, (file, _) in parameters.items()},
        parameters={key: value for key, (_, value) in parameters.items()},
    )


def _dataset_files(
    catalog: DataCatalog,
    names: Iterable[str],
    entries: dict[str, tuple[str, Any]],
    root: Path,
) -> dict[str, DatasetFile]:
    """The local files of the named datasets (and the files they write beside their own), with
    their DVC kind and options and the catalog file declaring each."""
    resolver = catalog.config_resolver
    datasets: dict[str, DatasetFile] = {}
    for name in sorted(names):
        if name not in catalog:
            continue  # an intermediate Kedro keeps in memory
        config = resolver.resolve_pattern(name)
        path = _local_path(config, root)
        if path is None or (config.get("metadata") or {}).get("reproducible") is False:
            # not a local file, or a measurement of the run (durations) that no re-run repeats:
            # versioning it would make every reproduction look changed
            continue
        kind, options = dvc_output(name, config.get("metadata"))
        key = name if name in entries else resolver.match_dataset_pattern(name)
        key = key or resolver.match_user_catch_all_pattern(name)
        datasets[name] = DatasetFile(
            name=name,
            path=path,
            kind=kind,
            options=options,
            config_file=entries[key][0] if key in entries else None,
            # a project module named as the type or the pickle backend is code the stage runs
            type=" ".join(str(config.get(key, "")) for key in ("type", "backend")).strip(),
            versioned=bool(config.get("versioned", False)),
        )
        # files a dataset writes beside its own (a pickle's hash record) are outputs too
        companions: list[Any] = getattr(catalog.get(name), "companion_paths", list)()
        for index, companion in enumerate(companions):
            companion_path = _local_path({"filepath": str(companion)}, root)
            # a companion lies beside its dataset's file, which is local (checked above)
            assert companion_path is not None
            datasets[f"{name}#{index}"] = replace(
                datasets[name],
                name=f"{name}#{index}",
                path=companion_path,
            )
    return datasets
