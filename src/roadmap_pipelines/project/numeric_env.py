"""The numeric environment a run computes in: what decides the last bits of its floats.

Two things make float results depend on the CPU:

- NumPy dispatches its own SIMD loops at import (``log``, ``exp``, sums, sorts): AVX-512
  machines run other ``log``/``exp`` implementations than AVX2 ones, with other last bits.
  The project pins that level (:data:`NUMPY_SIMD_PIN`) before NumPy is first imported, so
  every x86-64 CPU with AVX2 runs the same loops.
- OpenBLAS picks its kernel at load time (Haswell, SkylakeX, Zen, ...). Some machines set
  ``OPENBLAS_CORETYPE`` on purpose because older builds crash on them, so the kernel is not
  the project's to pin: outputs of fits that go through BLAS may differ between kernels.

:func:`numeric_environment` describes both (plus CPU architecture and package versions);
each run writes it beside ``dvc.lock`` (:data:`ENVIRONMENT_FILE`) so a clone can tell
whether it can expect the lock's bytes. This module imports no numeric library at import
time: the package ``__init__`` calls :func:`pin_numpy_simd` before anything loads NumPy.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

# NumPy 2.4's dispatch groups above X86_V3 (AVX2 + FMA3): X86_V4 is AVX-512 F/CD/VL/BW/DQ,
# the other two are later AVX-512 sets. Naming a group this CPU lacks is accepted silently;
# a name NumPy does not dispatch only warns (ImportWarning), so re-check after upgrading
# NumPy with ``numpy._core._multiarray_umath.__cpu_dispatch__``.
NUMPY_SIMD_PIN = "X86_V4 AVX512_ICL AVX512_SPR"
NUMPY_SIMD_VARIABLE = "NPY_DISABLE_CPU_FEATURES"
ENVIRONMENT_FILE = "numeric_environment.json"
# The libraries whose version can change a float result.
NUMERIC_PACKAGES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "lightgbm",
    "pandas",
    "pyarrow",
    "optuna",
)
# Fields whose difference only moves the outputs of fits that go through BLAS.
BLAS_FIELDS = frozenset({"blas"})
# Node tag of the fits that go through BLAS; their outputs, and everything computed from
# them, may differ in the last bits between BLAS kernels.
BLAS_TAG = "blas"


def pin_numpy_simd(environ: MutableMapping[str, str] | None = None) -> bool:
    """Pin NumPy's dispatched SIMD level to AVX2, unless the caller already chose one.

    Must run before NumPy is first imported; afterwards NumPy ignores the variable. A value
    already set (even empty) wins, so a user or a test can run at another level on purpose.

    Args:
        environ: The environment to change; ``os.environ`` by default.

    Returns:
        Whether the pin is in force for a NumPy imported from now on.
    """
    environ = os.environ if environ is None else environ
    environ.setdefault(NUMPY_SIMD_VARIABLE, NUMPY_SIMD_PIN)
    return environ[NUMPY_SIMD_VARIABLE] == NUMPY_SIMD_PIN


def numpy_simd() -> dict[str, list[str]]:
    """NumPy's compiled-in baseline and the dispatched SIMD groups enabled in this process."""
    # numpy's private extension module has no stubs
    from numpy._core._multiarray_umath import (  # type: ignore[import-not-found]
        __cpu_baseline__,
        __cpu_dispatch__,
        __cpu_features__,
    )

    return {
        "baseline": list(__cpu_baseline__),
        "dispatched": [name for name in __cpu_dispatch__ if __cpu_features__.get(name)],
    }


def simd_pin_ineffective() -> list[str]:
    """Dispatched groups enabled although the pin disables them (NumPy imported too early)."""
    pinned = set(NUMPY_SIMD_PIN.split())
    return [name for name in numpy_simd()["dispatched"] if name in pinned]


def _blas_libraries() -> list[dict[str, Any]]:
    # numpy and scipy each load their own OpenBLAS; scipy's only once scipy.linalg is imported
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "prefix", "version", "architecture", "threading_layer")
    libraries = [
        {key: info.get(key) for key in keys}
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]
    return sorted(libraries, key=lambda library: json.dumps(library, sort_keys=True))


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def numeric_environment() -> dict[str, Any]:
    """What decides the last bits of this process's floats.

    Returns:
        ``cpu_arch`` (``platform.machine()``), ``python``, ``numpy_simd`` (baseline and
        enabled dispatch groups), ``blas`` (each BLAS library threadpoolctl finds: API,
        version, kernel ``architecture``, threading layer) and ``packages`` (versions of
        :data:`NUMERIC_PACKAGES`). Thread counts are not recorded: the project fixes them
        (``ThreadLimitHooks``).
    """
    return {
        "cpu_arch": platform.machine(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "numpy_simd": numpy_simd(),
        "blas": _blas_libraries(),
        "packages": {package: _version(package) for package in NUMERIC_PACKAGES},
    }


def render(environment: Mapping[str, Any]) -> str:
    """The file's text: sorted, indented JSON with a final newline (stable bytes)."""
    return json.dumps(environment, indent=2, sort_keys=True) + "\n"


def write_environment(root: Path, environment: Mapping[str, Any] | None = None) -> bool:
    """Write :data:`ENVIRONMENT_FILE` in ``root`` unless it already says the same.

    Returns:
        Whether the file changed.
    """
    text = render(environment if environment is not None else numeric_environment())
    path = root / ENVIRONMENT_FILE
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def read_environment(root: Path) -> dict[str, Any] | None:
    """The recorded environment in ``root``, or ``None`` if no run recorded one."""
    path = root / ENVIRONMENT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@dataclass(frozen=True)
class Difference:
    """One field of the numeric environment that differs from the recorded one.

    Attributes:
        field: Top-level field (``blas``, ``numpy_simd``, ``packages``, ...).
        recorded: Its value in the recorded file.
        current: Its value here.
    """

    field: str
    recorded: Any
    current: Any

    @property
    def blas_only(self) -> bool:
        """Whether only outputs of BLAS-dependent fits can move because of it."""
        return self.field in BLAS_FIELDS


def differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[Difference]:
    """The fields in which ``current`` differs from ``recorded``, in field order."""
    return [
        Difference(field, recorded.get(field), current.get(field))
        for field in sorted(recorded.keys() | current.keys())
        if recorded.get(field) != current.get(field)
    ]


def outputs_that_may_differ(
    found: list[Difference], blas_outputs: list[str], all_outputs: list[str]
) -> list[str]:
    """The outputs whose bytes may differ from the recorded run's, given the differences.

    Args:
        found: From :func:`differences`.
        blas_outputs: Outputs of BLAS-dependent fits and of everything computed from them.
        all_outputs: Every output of the pipelines.

    Returns:
        Nothing when the environments match; the BLAS-dependent outputs when only the BLAS
        libraries differ; every output otherwise (another NumPy SIMD level, CPU architecture,
        Python or numeric package version can move any float).
    """
    if not found:
        return []
    if all(difference.blas_only for difference in found):
        return sorted(blas_outputs)
    return sorted(all_outputs)


def environment_report(
    recorded: Mapping[str, Any] | None,
    current: Mapping[str, Any],
    blas_outputs: list[str],
    all_outputs: list[str],
) -> tuple[bool, str]:
    """Say whether this machine computes in the environment recorded with ``dvc.lock``.

    Returns:
        ``(matches, text)``: the text names each differing field with both values, and the
        outputs that may then differ from the lock.
    """
    if recorded is None:
        return False, (
            f"No {ENVIRONMENT_FILE} is recorded: run the pipelines (`make run`) and commit it "
            "with dvc.lock.\n"
        )
    found = differences(recorded, current)
    if not found:
        return True, (
            f"This machine matches {ENVIRONMENT_FILE}: every output in dvc.lock should be "
            "reproduced byte for byte.\n"
        )
    lines = [f"This machine differs from {ENVIRONMENT_FILE}:"]
    for difference in found:
        lines.append(f"  {difference.field}:")
        lines.append(f"    recorded: {json.dumps(difference.recorded, sort_keys=True)}")
        lines.append(f"    here:     {json.dumps(difference.current, sort_keys=True)}")
    may_differ = outputs_that_may_differ(found, blas_outputs, all_outputs)
    why = (
        "BLAS-dependent fits and what is computed from them"
        if all(difference.blas_only for difference in found)
        else "any float result"
    )
    lines.append(f"Outputs that may differ from dvc.lock in their last bits ({why}):")
    lines.extend(f"  {path}" for path in may_differ)
    lines.append(
        "Every other output should still match dvc.lock byte for byte; chosen models and "
        "metrics should agree within tolerance (docs/dvc.md)."
    )
    return False, "\n".join(lines) + "\n"
