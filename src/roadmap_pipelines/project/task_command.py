"""``kedro task add`` and ``kedro task remove``: a data file becomes a task, and back.

``add`` reads the file with the kedro-datasets dataset its suffix names, profiles it
(``task_inference``), places it under ``data/01_raw`` (which git keeps: see
docs/forking.md), writes the catalog entry and one commented block in every per-task
parameters file (``task_blocks``), checks the result the way a run would, and regenerates
``dvc.yaml``. Any failure puts every file back as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from roadmap_pipelines.params.tasks import task_name_problem
from roadmap_pipelines.project import task_blocks
from roadmap_pipelines.project.task_inference import TaskInputError, profile_table
from roadmap_pipelines.project.yaml_blocks import append_block, has_block, remove_block

# suffix -> kedro-datasets type that reads it
READERS = {
    ".csv": "pandas.CSVDataset",
    ".parquet": "pandas.ParquetDataset",
    ".pq": "pandas.ParquetDataset",
    ".xlsx": "pandas.ExcelDataset",
    ".xls": "pandas.ExcelDataset",
    ".json": "pandas.JSONDataset",
    ".feather": "pandas.FeatherDataset",
}
CATALOG = "conf/base/catalog.yml"
RAW_DIR = "data/01_raw"
# (file, mapping path, writer) of every per-task block; tasks first
BlockWriter = Callable[[str, Any], str]
BLOCKS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("conf/base/parameters_tasks.yml", ("tasks",), "tasks"),
    ("conf/base/parameters_preprocessing.yml", ("preprocessing", "tabular"), "preprocessing"),
    ("conf/base/parameters_feature_engineering.yml", ("feature_engineering",), "features"),
    ("conf/base/parameters_modelling_tabular.yml", ("modelling_tabular",), "modelling"),
    ("conf/base/parameters_segmentation.yml", ("segmentation",), "segmentation"),
    ("conf/base/parameters_inference.yml", ("inference",), "inference"),
)


def read_table(path: Path) -> tuple[Any, str]:
    """Load ``path`` with the kedro-datasets dataset for its suffix.

    Raises:
        TaskInputError: Unknown suffix, or the file cannot be read.
    """
    from kedro.io import AbstractDataset

    dataset_type = READERS.get(path.suffix.lower())
    if dataset_type is None:
        raise TaskInputError(
            f"{path}: no reader for '{path.suffix}' files; use one of {sorted(READERS)}"
        )
    if not path.is_file():
        raise TaskInputError(f"{path}: no such file")
    try:
        dataset = AbstractDataset.from_config("raw", {"type": dataset_type, "filepath": str(path)})
        table = dataset.load()
    except Exception as error:  # noqa: BLE001 - any reader failure is the same bad input
        cause = error.__cause__ or error
        raise TaskInputError(f"{path}: cannot be read as {dataset_type}: {cause}") from error
    if table.empty:
        raise TaskInputError(f"{path}: the table has no rows")
    return table, dataset_type


def _catalog_block(name: str, dataset_type: str, raw: str) -> str:
    return (
        f"# {name}: written by `kedro task add`\n"
        f"{task_blocks.key(name + '.tabular_raw')}:\n"
        f"  type: {dataset_type}\n"
        f"  filepath: {raw}\n"
        "  metadata: {kedro-viz: {layer: raw}}\n"
        "\n"
        "# the batch the inference and monitoring pipelines score: the table itself until you\n"
        "# point this at new rows (then monitoring compares them with the training rows)\n"
        f"{task_blocks.key(name + '.inference_input')}:\n"
        f"  type: {dataset_type}\n"
        f"  filepath: {raw}\n"
        "  metadata: {kedro-viz: {layer: raw}}\n"
    )


def _catalog_without(text: str, name: str) -> str:
    for entry in (f"{name}.tabular_raw", f"{name}.inference_input"):
        text = remove_block(text, (), entry) if has_block(text, (), entry) else text
    return text


def _write_all(root: Path, texts: dict[str, str], check: Callable[[], None]) -> None:
    """Write ``texts`` (file -> content), run ``check``; on any failure restore every file."""
    before = {
        name: (root / name).read_text(encoding="utf-8") if (root / name).exists() else None
        for name in texts
    }
    try:
        for name, text in texts.items():
            (root / name).write_text(text, encoding="utf-8")
        check()
    except BaseException:
        for name, saved in before.items():
            if saved is None:
                (root / name).unlink(missing_ok=True)
            else:
                (root / name).write_text(saved, encoding="utf-8")
        raise


def _check_configuration(root: Path) -> None:
    """Validate the project's base configuration as a run would, before any node."""
    from kedro.config import OmegaConfigLoader
    from pydantic import BaseModel

    from roadmap_pipelines.params.feature_engineering import FeatureParams
    from roadmap_pipelines.params.modelling_tabular import TabularModelling
    from roadmap_pipelines.params.segmentation import SegmentationParams
    from roadmap_pipelines.project.tasks import configured_tasks

    loader = OmegaConfigLoader(str(root / "conf"), base_env="base", default_run_env="base")
    parameters = dict(loader["parameters"])
    models: dict[str, type[BaseModel]] = {
        "feature_engineering": FeatureParams,
        "modelling_tabular": TabularModelling,
        "segmentation": SegmentationParams,
    }
    for task in configured_tasks(parameters):
        for key, model in models.items():
            if parameters.get(key):
                model.model_validate(parameters[key][task])


def _sync_dvc(root: Path) -> list[str]:
    from roadmap_pipelines.project.dvc_stages import expected_files, load_project, stale_files_diff

    written = []
    for name, text in expected_files(load_project(root)).items():
        if stale_files_diff(root, {name: text}):
            (root / name).write_text(text, encoding="utf-8")
            written.append(name)
    return written


def add_task(
    root: Path,
    name: str,
    data: Path,
    target: str,
    problem: Literal["classification", "regression"] | None = None,
    overwrite: bool = False,
) -> list[str]:
    """Turn ``data`` into the task ``name``; return what was written, for the user.

    Raises:
        TaskInputError: Bad name, unreadable file, bad target, or the task exists already
            (without ``overwrite``).
    """
    if problem_text := task_name_problem(name):
        raise TaskInputError(problem_text)
    tasks_text = (root / BLOCKS[0][0]).read_text(encoding="utf-8")
    if has_block(tasks_text, ("tasks",), name) and not overwrite:
        raise TaskInputError(
            f"task '{name}' exists already in {BLOCKS[0][0]}: pass --overwrite to replace "
            "its blocks, or `kedro task remove` it first"
        )
    data = data.resolve()
    table, dataset_type = read_table(data)
    profile = profile_table(table, target, problem)
    raw_dir = root / RAW_DIR
    placed = raw_dir / f"{name}{data.suffix.lower()}"
    if data.parent == raw_dir.resolve():
        placed = data  # already where raw inputs live: keep its name
    raw = placed.relative_to(root.resolve()).as_posix()

    writers = {
        "tasks": lambda: task_blocks.tasks_block(name, profile, raw),
        "preprocessing": lambda: task_blocks.preprocessing_block(name, profile),
        "features": lambda: task_blocks.features_block(name, profile),
        "modelling": lambda: task_blocks.modelling_block(name, profile),
        "segmentation": lambda: task_blocks.segmentation_block(name, profile),
        "inference": lambda: task_blocks.inference_block(name, profile),
    }
    texts = {}
    for file, path, writer in BLOCKS:
        text = (root / file).read_text(encoding="utf-8")
        try:
            block = writers[writer]()
        except ValueError as error:
            raise TaskInputError(f"{data}: {error}") from error
        texts[file] = append_block(remove_block(text, path, name), path, block)
    catalog = (root / CATALOG).read_text(encoding="utf-8")
    texts[CATALOG] = (
        _catalog_without(catalog, name).rstrip("\n")
        + "\n\n"
        + _catalog_block(name, dataset_type, raw)
    )
    copied = placed != data
    if copied:
        placed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(data, placed)
    try:
        _write_all(root, texts, lambda: _check_configuration(root))
        synced = _sync_dvc(root)
    except BaseException:
        if copied:
            placed.unlink(missing_ok=True)
        raise
    return [
        f"{raw}: the raw table ({profile.rows} rows, {len(profile.columns)} columns; git keeps "
        "data/01_raw)",
        f"{CATALOG}: {name}.tabular_raw",
        *(f"{file}: block '{name}'" for file, _, _ in BLOCKS),
        *(f"{file}: regenerated" for file in synced),
        f"problem: {profile.problem} of '{profile.target}'"
        + (f" ({len(profile.class_counts)} classes)" if profile.class_counts else ""),
        f"next: review the blocks, then `kedro run` (or `kedro run --namespaces={name}`)",
    ]


def remove_task(root: Path, name: str) -> list[str]:
    """Remove every block of ``name`` and its catalog entry; the raw file stays.

    Raises:
        TaskInputError: No such task.
    """
    tasks_text = (root / BLOCKS[0][0]).read_text(encoding="utf-8")
    if not has_block(tasks_text, ("tasks",), name):
        raise TaskInputError(f"no task '{name}' in {BLOCKS[0][0]}")
    texts = {}
    for file, path, _ in BLOCKS:
        text = (root / file).read_text(encoding="utf-8")
        texts[file] = remove_block(text, path, name)
    catalog = (root / CATALOG).read_text(encoding="utf-8")
    texts[CATALOG] = _catalog_without(catalog, name)
    _write_all(root, texts, lambda: _check_configuration(root))
    synced = _sync_dvc(root)
    return [
        *(f"{file}: block '{name}' removed" for file in texts),
        *(f"{file}: regenerated" for file in synced),
        f"the raw file under {RAW_DIR} and outputs under data/*/{name}/ are left in place",
    ]
