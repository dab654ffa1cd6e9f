"""Throw-away git + DVC repositories of the project, for the DVC workflow tests.

A repository holds what a clone of the project holds (code, conf, raw data, dvc.yaml,
dvc.lock, DVC config) and can be seeded with the outputs of an earlier ``kedro run``, so the
tests need no full ``dvc repro``. Commands run as a user would run them: ``dvc`` and
``kedro`` from the project's environment, no network, nothing written outside the temp dirs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from project_runs import DATA_LAYERS, PROJECT_ROOT

BIN = Path(sys.executable).parent
COPIED = ("src", "conf", ".dvc", "dvc.yaml", "dvc.lock", ".dvcignore", ".gitignore")
COPIED_FILES = ("pyproject.toml", ".telemetry")
IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.egg-info", "cache", "tmp", "storage", "config.local"
)


def environment(home: Path) -> dict[str, str]:
    """Environment for git, dvc and kedro: the project's tools first, no prompts or network."""
    home.mkdir(parents=True, exist_ok=True)
    identity = {"NAME": "Roadmap Tests", "EMAIL": "tests@example.invalid"}
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "KEDRO_DISABLE_TELEMETRY": "true",
        "OMP_WAIT_POLICY": "passive",
        "DVC_NO_ANALYTICS": "1",
        "DVC_STUDIO_OFFLINE": "1",
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site-cache"),
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COLUMNS": "1000",  # dvc wraps its tables to the terminal width, splitting long paths
        "HOME": str(home),
        **{
            f"GIT_{role}_{key}": value
            for role in ("AUTHOR", "COMMITTER")
            for key, value in identity.items()
        },
    }


def run(repo: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    """Run a command in ``repo``; return stdout and stderr together (DVC logs to both)."""
    result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    if check and result.returncode != 0:
        raise AssertionError(f"`{' '.join(args)}` failed ({result.returncode}):\n{output}")
    return output


def dvc(repo: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    """Run ``dvc`` from the project's environment in ``repo``."""
    return run(repo, env, str(BIN / "dvc"), *args, check=check)


def dvc_json(repo: Path, env: dict[str, str], *args: str) -> Any:
    """Run ``dvc <args> --json`` and parse its standard output."""
    result = subprocess.run(
        [str(BIN / "dvc"), *args, "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    """Run ``git`` in ``repo``."""
    return run(repo, env, "git", *args)


def make_repo(destination: Path, env: dict[str, str], outputs_from: Path | None = None) -> Path:
    """A git repository with the project's files, raw data and (optionally) outputs.

    Args:
        destination: Where to create it.
        env: From ``environment``.
        outputs_from: A project copy after a ``kedro run``; its ``data/`` outputs are copied.

    Returns:
        ``destination``, with one commit of everything git tracks.
    """
    destination.mkdir(parents=True)
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=IGNORED)
        else:
            shutil.copy2(source, destination / name)
    for name in COPIED_FILES:
        shutil.copy2(PROJECT_ROOT / name, destination / name)
    for layer in DATA_LAYERS:
        (destination / "data" / layer).mkdir(parents=True)
        (destination / "data" / layer / ".gitkeep").touch()
    for raw in (PROJECT_ROOT / "data" / "01_raw").iterdir():
        if raw.is_file():
            shutil.copy2(raw, destination / "data" / "01_raw" / raw.name)
    if outputs_from is not None:
        for layer in DATA_LAYERS[1:]:
            shutil.copytree(
                outputs_from / "data" / layer, destination / "data" / layer, dirs_exist_ok=True
            )
    git(destination, env, "init", "--quiet", "--initial-branch=main")
    _identify(destination, env)
    git(destination, env, "add", "--all")
    git(destination, env, "commit", "--quiet", "--message=project")
    return destination


def _identify(repo: Path, env: dict[str, str]) -> None:
    # DVC commits experiments through its own git backends: give the repository an identity
    git(repo, env, "config", "user.name", env["GIT_AUTHOR_NAME"])
    git(repo, env, "config", "user.email", env["GIT_AUTHOR_EMAIL"])


def clone(source: Path, destination: Path, env: dict[str, str], with_cache: bool = True) -> Path:
    """``git clone`` a repository, optionally with a copy of its DVC cache checked out."""
    git(source.parent, env, "clone", "--quiet", str(source), str(destination))
    _identify(destination, env)
    if with_cache:
        shutil.copytree(source / ".dvc" / "cache", destination / ".dvc" / "cache")
        dvc(destination, env, "checkout")
    return destination


def output_digests(repo: Path) -> dict[str, str]:
    """SHA-256 of every pipeline output file under ``data/`` (raw data and dotfiles aside)."""
    return {
        path.relative_to(repo).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((repo / "data").rglob("*"))
        if path.is_file() and "01_raw" not in path.parts and not path.name.startswith(".")
    }


def stages_run(output: str) -> list[str]:
    """The stages a ``dvc repro`` / ``dvc exp run`` output says it ran, in order."""
    return re.findall(r"Running stage '([^']+)'", output)


def stages_skipped(output: str) -> list[str]:
    """The stages a ``dvc repro`` output says did not change."""
    return re.findall(r"Stage '([^']+)' didn't change, skipping", output)
