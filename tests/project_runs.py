"""Run real Kedro sessions on a throw-away copy of the project.

Runs never write into the working tree's ``data/``: each test gets its own copy of ``conf/``
and ``data/01_raw`` under ``tmp_path`` and runs the installed package against it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_LAYERS = (
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
)


def copy_project(destination: Path) -> Path:
    """Copy what a Kedro session needs (pyproject, conf, raw data) to ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy2(PROJECT_ROOT / name, destination / name)
    shutil.copytree(PROJECT_ROOT / "conf", destination / "conf")
    # Kedro checks that src/ exists; the code itself is imported from the installed package.
    (destination / "src").mkdir()
    for layer in DATA_LAYERS:
        (destination / "data" / layer).mkdir(parents=True)
    for raw in (PROJECT_ROOT / "data" / "01_raw").iterdir():
        if raw.is_file() and raw.name != ".gitkeep":
            shutil.copy2(raw, destination / "data" / "01_raw" / raw.name)
    return destination


def run_session(
    project: Path,
    pipelines: list[str] | None = None,
    env: str | None = None,
    runtime_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``pipelines`` (default: ``__default__``) in a real ``KedroSession`` on ``project``."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from roadmap_pipelines.project.tasks import use_config_loader

    bootstrap_project(project)
    try:
        with KedroSession.create(
            project_path=project, env=env, runtime_params=runtime_params
        ) as session:
            return session.run(pipeline_names=pipelines)
    finally:
        # a run that fails while the pipelines are built fires no hook that forgets the
        # session's loader: forget it here, or a later registry build in this process reads
        # this (possibly broken) copy's configuration
        use_config_loader(None)


def output_digests(project: Path) -> dict[str, str]:
    """SHA-256 of every file the pipelines wrote (everything under data/ but 01_raw), except
    datasets the catalog marks ``reproducible: false`` (durations, which differ every run)."""
    volatile = {
        str(Path(dataset._describe()["filepath"]).relative_to(project.resolve()))
        for dataset in catalog_datasets(project).values()
        if (getattr(dataset, "metadata", None) or {}).get("reproducible") is False
    }
    return {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((project / "data").rglob("*"))
        if path.is_file()
        and "01_raw" not in path.parts
        and str(path.relative_to(project)) not in volatile
    }


def catalog_datasets(project: Path) -> dict[str, Any]:
    """Every dataset the registered pipelines name, from the project's catalog (factories
    resolved), by name. Reads the catalog only, so broken parameters do not stop it."""
    import yaml
    from kedro.config import OmegaConfigLoader
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project
    from kedro.io import DataCatalog

    from roadmap_pipelines.project.tasks import tasks_in_use

    bootstrap_project(project)
    loader = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config(
        {
            name: {**entry, "filepath": str(project / entry["filepath"])}
            if "filepath" in entry
            else entry
            for name, entry in loader["catalog"].items()
        }
    )
    # this project's task names, without checking its (possibly broken) parameters
    tasks = yaml.safe_load((project / "conf/base/parameters_tasks.yml").read_text())["tasks"]
    with tasks_in_use(tuple(tasks or ())):
        registered = list(pipelines.values())
    names = set().union(*(pipeline.datasets() for pipeline in registered))
    return {
        name: catalog.get(name)
        for name in sorted(names)
        if name != "parameters" and not name.startswith("params:") and name in catalog
    }


def reporting_datasets(project: Path) -> dict[str, Any]:
    """Every dataset of the registered pipelines whose Kedro-Viz layer is ``reporting``."""
    return {
        name: dataset
        for name, dataset in catalog_datasets(project).items()
        if ((getattr(dataset, "metadata", None) or {}).get("kedro-viz") or {}).get("layer")
        == "reporting"
    }


def differing_files(first: dict[str, str], second: dict[str, str]) -> list[str]:
    """Files whose digest differs between two ``output_digests``, or that only one run wrote."""
    return sorted(
        path for path in first.keys() | second.keys() if first.get(path) != second.get(path)
    )


def dvc_output_paths() -> list[str]:
    """Every output (file or folder) the committed dvc.yaml declares, metrics and plots too."""
    import yaml

    stages = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
    return sorted(
        entry if isinstance(entry, str) else next(iter(entry))
        for stage in stages.values()
        for kind in ("outs", "metrics", "plots")
        for entry in stage.get(kind, [])
    )
