"""Shared fixtures: copies of the project to run real Kedro sessions in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

# Before any test module imports NumPy, the package pins NumPy's SIMD level, as in
# every other entry point, and the `kedro`/`dvc` subprocesses inherit the variable.
import roadmap_pipelines  # noqa: F401
from project_runs import copy_project, run_session
from roadmap_pipelines.ml.import_policy import allow_packages

# Tests name their toy estimators by import path (``toy_estimators.Toy``), some at import time:
# trust them as a user trusts a package by listing it under ``trusted_packages``.
allow_packages(["toy_estimators"])

# Tests that need one of these fixtures run real Kedro sessions on a copy of the project:
# they are the `e2e` lane, which `make test-fast` leaves out (pyproject.toml declares the
# markers).
E2E_FIXTURES = frozenset({"project", "default_run", "completed_project", "rewrite_raw"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


FRESH_PROCESS_ENV = "ROADMAP_TEST_IN_FRESH_PROCESS"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a `forks` test in a fresh pytest process when this one has other threads alive.

    Earlier tests leave threads behind (joblib's executor, Dask clients), and the project's
    runner rightly refuses to fork a multi-threaded process: these tests would then check a
    sequential run instead of forked groups.
    """
    if (
        pyfuncitem.get_closest_marker("forks") is None
        or threading.active_count() == 1
        or os.environ.get(FRESH_PROCESS_ENV)
    ):
        return None
    result = subprocess.run(
        [sys.executable, "-m", "pytest", pyfuncitem.nodeid, "-q", "-p", "no:randomly"],
        cwd=pyfuncitem.config.rootpath,
        env={**os.environ, FRESH_PROCESS_ENV: "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        pytest.fail(f"{pyfuncitem.nodeid} failed in a fresh process:\n{output}")
    return True


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project with no outputs yet."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project after one full default ``kedro run`` (shared, read-only)."""
    project = copy_project(tmp_path_factory.mktemp("default-run") / "project")
    run_session(project)
    return project


@pytest.fixture
def completed_project(default_run: Path, tmp_path: Path) -> Path:
    """A private copy of ``default_run``, outputs included, that a test may change."""
    destination = tmp_path / "completed"
    shutil.copytree(default_run, destination)
    return destination


@pytest.fixture
def rewrite_raw(completed_project: Path) -> Callable[[str, Callable], Path]:
    """Rewrite a raw CSV of ``completed_project`` through a function of its DataFrame."""
    import pandas as pd

    def rewrite(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
        path = completed_project / "data" / "01_raw" / name
        change(pd.read_csv(path)).to_csv(path, index=False)
        return completed_project

    return rewrite


@pytest.fixture(scope="session")
def loaded(default_run: Path):
    """The catalog and parameters of ``default_run``."""
    from deployment_cases import load_project

    return load_project(default_run)
