"""The numeric environment recorded with dvc.lock, and what a difference from it means."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from project_runs import PROJECT_ROOT
from roadmap_pipelines.project.datasets import RoundedJSONDataset, round_floats
from roadmap_pipelines.project.numeric_env import (
    ENVIRONMENT_FILE,
    NUMPY_SIMD_PIN,
    NUMPY_SIMD_VARIABLE,
    differences,
    environment_report,
    numeric_environment,
    outputs_that_may_differ,
    pin_numpy_simd,
    read_environment,
    render,
    write_environment,
)
from task_config import requires_tasks

BLAS_OUTPUTS = ["data/06_models/t/model.pkl", "data/08_reporting/t/metrics.json"]
ALL_OUTPUTS = ["data/04_feature/t/train.parquet", *BLAS_OUTPUTS]


def _recorded(**changes: object) -> dict:
    return {**numeric_environment(), **changes}


def test_the_pin_is_set_unless_the_caller_chose_a_level() -> None:
    unset: dict[str, str] = {}
    assert pin_numpy_simd(unset) is True
    assert unset == {NUMPY_SIMD_VARIABLE: NUMPY_SIMD_PIN}
    chosen = {NUMPY_SIMD_VARIABLE: "AVX512_SPR"}
    assert pin_numpy_simd(chosen) is False
    assert chosen == {NUMPY_SIMD_VARIABLE: "AVX512_SPR"}


def test_the_environment_names_blas_kernel_simd_level_and_versions() -> None:
    environment = numeric_environment()

    assert environment["numpy_simd"]["dispatched"]  # AVX2 (X86_V3) on any AVX2 machine
    assert not set(NUMPY_SIMD_PIN.split()) & set(environment["numpy_simd"]["dispatched"])
    assert environment["blas"] and all(lib["architecture"] for lib in environment["blas"])
    assert environment["packages"]["numpy"] and environment["packages"]["scipy"]
    assert environment["cpu_arch"]


def test_only_a_blas_difference_limits_what_may_differ_to_blas_dependent_outputs() -> None:
    here = numeric_environment()
    other_kernel = [dict(lib, architecture="SkylakeX") for lib in here["blas"]]
    other_simd = {"baseline": ["X86_V2"], "dispatched": ["X86_V3", "X86_V4"]}

    assert differences(here, here) == []
    found = differences(_recorded(blas=other_kernel), here)
    assert [item.field for item in found] == ["blas"]
    assert outputs_that_may_differ(found, BLAS_OUTPUTS, ALL_OUTPUTS) == sorted(BLAS_OUTPUTS)
    found = differences(_recorded(blas=other_kernel, numpy_simd=other_simd), here)
    assert outputs_that_may_differ(found, BLAS_OUTPUTS, ALL_OUTPUTS) == sorted(ALL_OUTPUTS)


def test_the_report_says_whether_the_machine_matches_and_why_not() -> None:
    here = numeric_environment()
    other_kernel = [dict(lib, architecture="SkylakeX") for lib in here["blas"]]

    matches, text = environment_report(here, here, BLAS_OUTPUTS, ALL_OUTPUTS)
    assert matches and "matches" in text
    matches, text = environment_report(
        _recorded(blas=other_kernel), here, BLAS_OUTPUTS, ALL_OUTPUTS
    )
    assert not matches
    assert "SkylakeX" in text and "BLAS-dependent" in text
    assert "data/06_models/t/model.pkl" in text and "train.parquet" not in text
    matches, text = environment_report(None, here, BLAS_OUTPUTS, ALL_OUTPUTS)
    assert not matches and "make run" in text


def test_the_file_is_rewritten_only_when_the_environment_changes(tmp_path: Path) -> None:
    assert write_environment(tmp_path) is True
    assert (tmp_path / ENVIRONMENT_FILE).read_text() == render(numeric_environment())
    assert write_environment(tmp_path) is False
    assert read_environment(tmp_path) == numeric_environment()
    assert write_environment(tmp_path, _recorded(cpu_arch="aarch64")) is True


def test_every_run_records_its_environment_beside_dvc_lock(default_run: Path) -> None:
    assert read_environment(default_run) == numeric_environment()


def test_the_committed_record_is_a_complete_environment() -> None:
    recorded = read_environment(PROJECT_ROOT)
    assert recorded is not None, f"commit {ENVIRONMENT_FILE} with dvc.lock"
    assert recorded.keys() == numeric_environment().keys()


def test_floats_are_rounded_to_significant_digits_in_json(tmp_path: Path) -> None:
    data = {"aic": -483.39297365888933, "n": 131, "ok": True, "list": [1 / 3, float("nan")]}
    rounded = round_floats(data, 10)
    assert rounded["aic"] == -483.3929737 and rounded["n"] == 131 and rounded["ok"] is True
    assert rounded["list"][0] == 0.3333333333
    # last-bit noise of a fit does not reach the bytes
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    RoundedJSONDataset(filepath=str(first)).save({"aic": -483.39297365888933})
    RoundedJSONDataset(filepath=str(second)).save({"aic": -483.39297365888927})
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text()) == {"aic": -483.3929737}


@requires_tasks("credit")
def test_blas_dependent_outputs_are_the_fits_and_what_is_computed_from_them() -> None:
    from roadmap_pipelines.project.dvc_project import load_project
    from roadmap_pipelines.project.dvc_stages import blas_dependent_outputs

    outputs = set(blas_dependent_outputs(load_project(PROJECT_ROOT)))

    assert {"data/06_models/credit/model.pkl", "data/08_reporting/report.html"} <= outputs
    assert "data/08_reporting/credit/metrics.json" in outputs  # computed from the model
    assert not [path for path in outputs if path.startswith(("data/03_", "data/04_feature/c"))]
    assert "data/08_reporting/credit/target_distribution.json" not in outputs  # raw data only


def test_make_run_records_the_outputs_in_dvc_after_kedro_run() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    recipe = subprocess.run(
        ["make", "-n", "-W", "uv.lock", "run"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    commands = [line for line in recipe if "kedro run" in line or "dvc commit" in line]
    assert commands == [".venv/bin/kedro run", ".venv/bin/dvc commit --force --quiet"]


@pytest.mark.e2e
@requires_tasks("credit")
@pytest.mark.parametrize("kernel", ["recorded", "SkylakeX"])
def test_kedro_dvc_env_compares_this_machine_with_the_record(tmp_path: Path, kernel: str) -> None:
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("src", "conf"):
        shutil.copytree(PROJECT_ROOT / name, project / name, ignore=ignore)
    for name in ("pyproject.toml", ".telemetry", "dvc.yaml"):
        shutil.copy2(PROJECT_ROOT / name, project / name)
    here = numeric_environment()
    if kernel != "recorded":
        here = {**here, "blas": [dict(lib, architecture=kernel) for lib in here["blas"]]}
    write_environment(project, here)

    result = subprocess.run(
        [str(Path(sys.executable).with_name("kedro")), "dvc", "env"],
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
        capture_output=True,
        text=True,
        check=False,
    )

    if kernel == "recorded":
        assert result.returncode == 0, result.stdout + result.stderr
        assert "matches" in result.stdout
    else:
        assert result.returncode == 1, result.stdout + result.stderr
        assert kernel in result.stdout
        assert "data/06_models/credit/model.pkl" in result.stdout
        assert "data/04_feature/credit/train.parquet" not in result.stdout
