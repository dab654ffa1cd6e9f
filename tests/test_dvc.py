"""DVC and Kedro do not drift apart, and the committed dvc.lock is what a run reproduces."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from project_runs import PROJECT_ROOT

STAGES = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]


def _catalog_files() -> dict[str, str]:
    """The file of every dataset the pipelines name, dataset factories resolved."""
    from kedro.io import DataCatalog

    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config(loader["catalog"])
    bootstrap_project(PROJECT_ROOT)
    files = {}
    for name in pipelines["__default__"].datasets():
        if name.startswith("params:") or name == "parameters" or name not in catalog:
            continue
        filepath = catalog[name]._describe().get("filepath")
        if filepath is not None:
            files[name] = str(filepath)
    return files


def _volatile_files() -> set[str]:
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local")
    files = _catalog_files()
    patterns = {
        name
        for name, entry in loader["catalog"].items()
        if (entry.get("metadata") or {}).get("reproducible") is False
    }
    return {
        path
        for name, path in files.items()
        if any(fnmatch.fnmatch(name, pattern.replace("{task}", "*")) for pattern in patterns)
    }


def _pipeline_names() -> list[str]:
    bootstrap_project(PROJECT_ROOT)
    return sorted(name for name in pipelines if name != "__default__")


def _paths(entries: list) -> set[str]:
    return {entry if isinstance(entry, str) else next(iter(entry)) for entry in entries}


def test_one_stage_per_pipeline() -> None:
    assert sorted(STAGES) == _pipeline_names()
    for name, stage in STAGES.items():
        assert stage["cmd"] == f"kedro run --pipelines={name}"


@pytest.mark.parametrize("name", _pipeline_names())
def test_stage_outs_and_deps_match_the_catalog(name: str) -> None:
    files = _catalog_files()
    pipeline = pipelines[name]
    stage = STAGES[name]

    written = {files[dataset] for dataset in pipeline.all_outputs() if dataset in files}
    assert _paths(stage["outs"]) == written
    read = {files[dataset] for dataset in pipeline.inputs() if dataset in files}
    assert read | {f"src/roadmap_pipelines/pipelines/{name}"} <= _paths(stage["deps"])
    params = {next(iter(entry)) for entry in stage["params"]}
    assert f"conf/base/parameters_{name}.yml" in params


def _dvc_copy(destination: Path, outputs_from: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "cache", "tmp", "storage")
    for name in ("src", "conf", ".dvc"):
        shutil.copytree(PROJECT_ROOT / name, destination / name, ignore=ignore)
    for name in ("dvc.yaml", "dvc.lock", ".dvcignore", "pyproject.toml"):
        shutil.copy2(PROJECT_ROOT / name, destination / name)
    shutil.copytree(outputs_from / "data", destination / "data")
    return destination


def test_a_fresh_run_reproduces_the_committed_dvc_lock(default_run: Path, tmp_path: Path) -> None:
    """Every hash in dvc.lock (code, raw data, parameters, outputs) matches a run made here."""
    project = _dvc_copy(tmp_path / "repro", outputs_from=default_run)
    dvc = str(Path(sys.executable).with_name("dvc"))
    environment = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    subprocess.run(
        [dvc, "config", "--local", "core.no_scm", "true"], cwd=project, check=True, env=environment
    )

    result = subprocess.run(
        [dvc, "status", "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    # The copy has an empty DVC cache, so outputs whose hash matches read "not in cache";
    # durations (catalog metadata reproducible: false) differ on every run. Any other entry
    # (a modified output, a changed dependency or parameter) is drift.
    volatile = _volatile_files()
    drift = {
        stage: [
            change
            for change in changes
            if set(change) != {"changed outs"}
            or any(
                state != "not in cache" and path not in volatile
                for path, state in change["changed outs"].items()
            )
        ]
        for stage, changes in json.loads(result.stdout).items()
    }
    assert sorted(drift) == sorted(STAGES)
    assert not any(drift.values()), "dvc.lock is stale: run `dvc repro`, commit dvc.lock\n" + str(
        drift
    )
