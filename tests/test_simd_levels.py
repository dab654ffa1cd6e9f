"""The same bytes whatever SIMD level the CPU offers NumPy (any x86-64 CPU with AVX2).

NumPy dispatches its loops (``log``, ``exp``, sums, sorts) at import to the widest SIMD level
the CPU has; AVX-512 ``log`` gives other last bits than AVX2 ``log``. The package pins the
level to AVX2 before NumPy loads, so a run on an AVX-512 machine and a run on an AVX2-only
machine (simulated by disabling the AVX-512 groups) write identical files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from project_runs import copy_project, differing_files, output_digests
from roadmap_pipelines.project.numeric_env import (
    NUMPY_SIMD_PIN,
    NUMPY_SIMD_VARIABLE,
    numpy_simd,
    simd_pin_ineffective,
)
from task_config import requires_tasks

KEDRO = str(Path(sys.executable).with_name("kedro"))
# preprocessing and feature engineering of one task: the formula log(...) of the ames features
# is where AVX-512 and AVX2 NumPy disagree; no BLAS-dependent fit, so no OpenBLAS kernel in it
RUN = ("run", "--pipelines=preprocessing,feature_engineering", "--namespaces=ames")
TASK_FEATURES = "data/04_feature/ames/train.parquet"
# `kedro run` processes on copies of the project, on the shipped ames table
pytestmark = [pytest.mark.e2e, requires_tasks("ames")]


def _run_fresh_process(project: Path, simd: str | None) -> dict[str, str]:
    """``kedro run`` in a new interpreter; ``simd`` is NPY_DISABLE_CPU_FEATURES (None: unset)."""
    environment = {
        key: value for key, value in os.environ.items() if key != NUMPY_SIMD_VARIABLE
    } | {"KEDRO_DISABLE_TELEMETRY": "true", "OMP_WAIT_POLICY": "passive"}
    if simd is not None:
        environment[NUMPY_SIMD_VARIABLE] = simd
    result = subprocess.run(
        [KEDRO, *RUN], cwd=project, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    digests = output_digests(project)
    assert TASK_FEATURES in digests
    return digests


@pytest.fixture(scope="module")
def pinned_by_the_package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The CPU's own level requested (variable unset): the package pins it to AVX2."""
    return _run_fresh_process(copy_project(tmp_path_factory.mktemp("default") / "p"), None)


def test_the_test_process_runs_numpys_avx2_loops() -> None:
    assert os.environ[NUMPY_SIMD_VARIABLE] == NUMPY_SIMD_PIN
    assert simd_pin_ineffective() == []
    assert not set(NUMPY_SIMD_PIN.split()) & set(numpy_simd()["dispatched"])


def test_an_avx512_and_an_avx2_machine_write_the_same_bytes(
    pinned_by_the_package: dict[str, str], tmp_path: Path
) -> None:
    avx2_machine = _run_fresh_process(copy_project(tmp_path / "p"), NUMPY_SIMD_PIN)

    assert differing_files(pinned_by_the_package, avx2_machine) == []


def test_without_the_pin_an_avx512_cpu_writes_other_bytes(
    pinned_by_the_package: dict[str, str], tmp_path: Path
) -> None:
    """The test above can fail: NumPy's AVX-512 loops do change the features' bytes."""
    # a value set by the user wins over the pin; naming only the newest AVX-512 group leaves
    # the others to whatever the CPU has
    unpinned = {**os.environ, NUMPY_SIMD_VARIABLE: "AVX512_SPR"}
    probe = "from numpy._core._multiarray_umath import __cpu_features__ as f; print(f['X86_V4'])"
    offers_avx512 = subprocess.run(
        [sys.executable, "-c", probe], env=unpinned, capture_output=True, text=True, check=True
    ).stdout.strip()
    if offers_avx512 != "True":
        pytest.skip("this CPU has no AVX-512: NumPy runs its AVX2 loops with or without the pin")
    native = _run_fresh_process(copy_project(tmp_path / "p"), "AVX512_SPR")

    assert TASK_FEATURES in differing_files(pinned_by_the_package, native)
