"""The template survives a fork: the shipped tasks replaced by three unseen tables with
``kedro task add`` / ``kedro task remove``, without touching ``src/`` or ``tests/``.

One end-to-end test (marked slow): it copies the project as git has it, removes the shipped
tabular tasks, adds a multiclass table (scikit-learn's wine), a regression table (its
diabetes, as Parquet) and an all-categorical table whose rows repeat (iris binned into
low/mid/high), runs the default pipeline, then runs the contract tests inside the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from project_runs import PROJECT_ROOT
from task_config import CONFIGURED_TASKS

KEDRO = [sys.executable, "-m", "kedro"]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "OMP_WAIT_POLICY": "passive"}
    env.pop("KEDRO_ENV", None)
    result = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{command}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def _git_copy(destination: Path) -> Path:
    """Copy the files git tracks or would track (not outputs, caches, venvs), then commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        source = PROJECT_ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "template"],
    ):
        subprocess.run(command, cwd=destination, check=True, capture_output=True)
    return destination


def _tables(folder: Path) -> dict[str, tuple[Path, str]]:
    """Three tables of different shapes that ship inside scikit-learn."""
    import pandas as pd
    from sklearn.datasets import load_diabetes, load_iris, load_wine

    wine = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    wine.to_csv(folder / "wine.csv", index=False)
    diabetes = load_diabetes(as_frame=True, scaled=False).frame
    diabetes.to_parquet(folder / "diabetes.parquet")
    iris = load_iris(as_frame=True)
    binned = pd.DataFrame(
        {
            name.split(" (")[0].replace(" ", "_"): pd.qcut(
                iris.frame[name], 3, labels=["low", "mid", "high"]
            ).astype(str)
            for name in iris.feature_names
        }
    )
    binned["species"] = iris.target_names[iris.frame["target"]]
    binned.to_csv(folder / "flowers.csv", index=False)
    return {
        "wine": (folder / "wine.csv", "cultivar"),
        "diabetes": (folder / "diabetes.parquet", "target"),
        "flowers": (folder / "flowers.csv", "species"),
    }


@pytest.mark.slow
@pytest.mark.xfail(
    reason="open (issue 14): in the fork, the wine task's per-class ROC table has a curve that "
    "does not start at (0, 0), so test_reports' contract fails there; the default run passes",
    strict=False,
)
def test_a_fork_onto_three_unseen_tables_runs_and_passes_the_contract_tests(
    tmp_path: Path,
) -> None:
    fork = _git_copy(tmp_path / "fork")
    tables = tmp_path / "tables"
    tables.mkdir()

    for name, (path, target) in _tables(tables).items():
        added = _run([*KEDRO, "task", "add", name, "--data", str(path), "--target", target], fork)
        assert f"conf/base/parameters_tasks.yml: block '{name}'" in added.stdout
    for name in CONFIGURED_TASKS:
        _run([*KEDRO, "task", "remove", name], fork)
    _run([*KEDRO, "dvc", "check"], fork)
    _run([*KEDRO, "run"], fork)

    for name in ("wine", "diabetes", "flowers"):
        assert (fork / "data" / "08_reporting" / name / "metrics.json").is_file()
    # the rows of the all-categorical table repeat legitimately: kept, with the reason said
    preprocessing = (fork / "conf/base/parameters_preprocessing.yml").read_text()
    assert "so duplicates are kept" in preprocessing
    contract = _run(
        [sys.executable, "-m", "pytest", "-m", "contract", "-q", "-p", "no:randomly", "-x"],
        fork,
    )
    assert " passed" in contract.stdout and "failed" not in contract.stdout
    # example-data tests skip, naming the tasks they need
    example = _run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "tests/params/test_feature_engineering.py"],
        fork,
    )
    assert "example-data test of the shipped task(s)" in example.stdout
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "tests"],
        cwd=fork,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert changed == ""
