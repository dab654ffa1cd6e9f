"""DVC and Kedro do not drift apart: the committed dvc.yaml is what `kedro dvc sync` writes,
and it matches the registry, the catalog and the code each pipeline runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project
from kedro.pipeline import Pipeline

from project_runs import PROJECT_ROOT
from roadmap_pipelines.project.dvc_stages import expected_files, load_project, parameter_value

# DVC in step with Kedro holds for any configured tasks
pytestmark = pytest.mark.contract

DVC_YAML = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())
STAGES = DVC_YAML["stages"]
OUTPUT_KINDS = ("outs", "metrics", "plots")


@cache
def _catalog_files() -> dict[str, str]:
    """The file of every dataset the pipelines name, dataset factories resolved.

    Independent of the generator: the catalog as Kedro builds it from conf/base.
    """
    from kedro.io import DataCatalog

    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")
    catalog = DataCatalog.from_config(loader["catalog"])
    bootstrap_project(PROJECT_ROOT)
    files = {}
    for name in pipelines["__default__"].datasets():
        if name.startswith("params:") or name == "parameters" or name not in catalog:
            continue
        dataset = catalog[name]
        filepath = dataset._describe().get("filepath")
        # durations, marked reproducible: false, are measurements of a run: no stage has them
        if filepath is not None and (dataset.metadata or {}).get("reproducible") is not False:
            files[name] = str(filepath)
            # a file written beside the dataset's own (a pickle's hash record) is an output too
            for index, companion in enumerate(getattr(dataset, "companion_paths", list)()):
                files[f"{name}#{index}"] = str(companion)
    return files


def _written(names: set[str], files: dict[str, str]) -> set[str]:
    return {path for key, path in files.items() if key.split("#")[0] in names}


def _pipeline_names() -> list[str]:
    bootstrap_project(PROJECT_ROOT)
    return sorted(name for name in pipelines if name != "__default__")


@cache
def _stage_parts() -> dict[str, tuple[str, Pipeline, str]]:
    """Stage name -> (pipeline, the nodes it runs, the `kedro run` command running them).

    Independent of the generator: the tasks are the top-level namespaces of the registered
    nodes (whatever conf/ declares), and Kedro's own filter picks a task's nodes.
    """
    bootstrap_project(PROJECT_ROOT)
    parts = {}
    for name in _pipeline_names():
        pipeline = pipelines[name]
        tasks = {node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace}
        if not tasks:
            parts[name] = (name, pipeline, f"kedro run --pipelines={name}")
            continue
        for task in tasks:
            command = f"kedro run --pipelines={name} --namespaces={task}"
            parts[f"{name}-{task}"] = (name, pipeline.filter(node_namespaces=[task]), command)
        shared = [node for node in pipeline.nodes if not node.namespace]
        if shared:
            nodes = ",".join(sorted(node.name for node in shared))
            command = f"kedro run --pipelines={name} --nodes={nodes}"
            parts[name] = (name, Pipeline(shared), command)
    return parts


def _paths(entries: list) -> list[str]:
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def _stage_outputs(stage: dict) -> list[str]:
    return [path for kind in OUTPUT_KINDS for path in _paths(stage.get(kind, []))]


def test_committed_dvc_yaml_is_what_kedro_dvc_sync_writes() -> None:
    view = load_project(PROJECT_ROOT)

    for name, text in expected_files(view).items():
        assert (PROJECT_ROOT / name).read_text() == text, (
            f"{name} is stale: run `kedro dvc sync` and commit it"
        )


def test_one_stage_per_pipeline_and_task() -> None:
    parts = _stage_parts()
    assert sorted(STAGES) == sorted(parts)
    for name, stage in STAGES.items():
        assert stage["cmd"] == parts[name][2]
    # every node runs in exactly one stage
    bootstrap_project(PROJECT_ROOT)
    for pipeline_name in _pipeline_names():
        nodes = [
            node.name
            for owner, part, _ in parts.values()
            if owner == pipeline_name
            for node in part.nodes
        ]
        assert sorted(nodes) == sorted(node.name for node in pipelines[pipeline_name].nodes)


def test_tabular_pipelines_get_a_stage_per_task_named_after_it() -> None:
    tasks = {stage.split("-", 1)[1] for stage in STAGES if stage.startswith("modelling_tabular-")}
    assert len(tasks) >= 2
    for pipeline_name in ("preprocessing", "feature_engineering", "modelling_tabular"):
        for task in tasks:
            params = STAGES[f"{pipeline_name}-{task}"].get("params", [])
            keys = {key for entry in params for keys in entry.values() for key in keys}
            # a task's stage tracks its own task's parameters, never another task's
            for other in tasks - {task}:
                assert not [key for key in keys if f".{other}" in f".{key}"], (task, keys)


def test_every_persisted_dataset_is_written_by_exactly_one_stage() -> None:
    files = _catalog_files()
    bootstrap_project(PROJECT_ROOT)
    written = _written(pipelines["__default__"].all_outputs(), files)
    outputs = [path for stage in STAGES.values() for path in _stage_outputs(stage)]

    assert sorted(outputs) == sorted(written)  # each exactly once, nothing else
    for name, (_, part, _) in _stage_parts().items():
        produced = _written(part.all_outputs(), files)
        assert set(_stage_outputs(STAGES[name])) == produced, name


@pytest.mark.parametrize("stage", sorted(_stage_parts()))
def test_stage_deps_are_its_folder_inputs_and_the_modules_it_imports(stage: str) -> None:
    files = _catalog_files()
    name, part, _ = _stage_parts()[stage]
    deps = STAGES[stage]["deps"]
    folder = f"src/roadmap_pipelines/pipelines/{name}"
    read = {files[dataset] for dataset in part.inputs() if dataset in files}
    # the modules a fresh interpreter loads to build the pipeline (lazy imports come on top)
    script = (
        "import importlib, sys\n"
        f"importlib.import_module('roadmap_pipelines.pipelines.{name}').create_pipeline()\n"
        "print('\\n'.join('module: ' + sys.modules[n].__file__ for n in list(sys.modules)"
        " if n.split('.')[0] == 'roadmap_pipelines'))\n"
    )
    # building reads the project's task list, and Kedro may log to stdout while loading it
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded = [
        line.removeprefix("module: ") for line in output.splitlines() if line.startswith("module: ")
    ]
    modules = {Path(path).resolve().relative_to(PROJECT_ROOT).as_posix() for path in loaded}

    assert deps == sorted(set(deps))
    assert folder in deps
    assert read <= set(deps)
    assert {module for module in modules if not module.startswith(f"{folder}/")} <= set(deps)
    assert not [dep for dep in deps if dep.startswith(f"{folder}/")]
    # code, configuration and raw data exist in a fresh clone; other stages' outputs are made
    written = {path for stage in STAGES.values() for path in _stage_outputs(stage)}
    for dep in deps:
        assert dep in written or (PROJECT_ROOT / dep).exists(), dep


def test_stage_params_are_the_keys_each_pipeline_reads_in_the_files_holding_them() -> None:
    for stage_name, stage in STAGES.items():
        name, part, _ = _stage_parts()[stage_name]
        tracked = {}
        for entry in stage.get("params", []):
            (path, keys), *_ = entry.items()
            assert path.startswith("conf/base/parameters"), path
            content = yaml.safe_load((PROJECT_ROOT / path).read_text())
            for key in keys:
                assert parameter_value(content, key) is not None, (name, path, key)
                tracked[key] = path
        read = {
            dataset.removeprefix("params:")
            for dataset in part.inputs()
            if dataset.startswith("params:")
        }
        # every key read is tracked, itself or through a key above it, and nothing else is
        for key in read:
            assert [t for t in tracked if key == t or key.startswith(f"{t}.")], (name, key)
        assert set(tracked) <= read, name
        # a pipeline's own parameters live in parameters_<name>.yml
        for key, path in tracked.items():
            if key.split(".")[0] == name:
                assert path == f"conf/base/parameters_{name}.yml", (name, key)


@pytest.mark.e2e
def test_kedro_dvc_check_fails_on_a_stale_dvc_yaml_and_sync_fixes_it(tmp_path: Path) -> None:
    """The project commands, as a user runs them: discovered by Kedro from ``cli.py``."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("src", "conf"):
        shutil.copytree(PROJECT_ROOT / name, project / name, ignore=ignore)
    for name in ("pyproject.toml", ".telemetry", "dvc.yaml", ".gitignore"):
        shutil.copy2(PROJECT_ROOT / name, project / name)
    stale = (project / "dvc.yaml").read_text().replace("      - conf/base/catalog.yml\n", "", 1)
    (project / "dvc.yaml").write_text(stale)
    kedro = str(Path(sys.executable).with_name("kedro"))
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}

    def kedro_dvc(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [kedro, "dvc", command],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )

    check = kedro_dvc("check")
    sync = kedro_dvc("sync")
    again = kedro_dvc("check")

    assert check.returncode == 1, check.stderr
    assert "--- dvc.yaml (on disk)" in check.stdout
    assert "+      - conf/base/catalog.yml" in check.stdout
    assert "kedro dvc sync" in check.stderr
    assert sync.returncode == 0, sync.stderr
    assert "dvc.yaml: updated" in sync.stdout
    assert again.returncode == 0, again.stdout + again.stderr
    assert (project / "dvc.yaml").read_text() == (PROJECT_ROOT / "dvc.yaml").read_text()


def test_python_m_still_finds_the_run_command() -> None:
    """Kedro's find_run_command takes ``run`` from ``cli.py`` once the project has one: the
    project's own (early checks, short errors), which wraps Kedro's."""
    from kedro.framework.cli.project import run as kedro_run
    from kedro.framework.cli.utils import find_run_command

    from roadmap_pipelines.cli import run

    assert find_run_command("roadmap_pipelines") is run
    assert {option.name for option in kedro_run.params} <= {option.name for option in run.params}


def test_dvc_tracked_parameter_files_are_plain_yaml() -> None:
    """DVC and `dvc exp run -S` read these files raw: no OmegaConf interpolation."""
    files = {
        path for stage in STAGES.values() for entry in stage.get("params", []) for path in entry
    }
    assert files
    for path in files:
        text = (PROJECT_ROOT / path).read_text()
        assert "${" not in json.dumps(yaml.safe_load(text)), path


def test_stages_loading_a_pickle_depend_on_the_code_its_classes_come_from() -> None:
    # the fitted preprocessor holds a CorrelationFilter: editing it must re-run its readers
    for name in STAGES:
        if name.startswith(("modelling_tabular-", "segmentation-")):
            assert (
                "src/roadmap_pipelines/ml/features/correlation_filter.py" in STAGES[name]["deps"]
            ), name


def test_stages_writing_or_reading_pickles_depend_on_the_pickle_backend() -> None:
    for name in STAGES:
        if name.startswith(("feature_engineering-", "modelling_tabular-", "segmentation-")):
            assert "src/roadmap_pipelines/ml/canonical_pickle.py" in STAGES[name]["deps"], name
