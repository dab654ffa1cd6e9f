"""The service's container image builds and answers /health with a training run's data mounted.

Needs a Docker engine: skipped, saying so, where there is none (as on the development machine).
The image build reads packages from PyPI, so it is the one test that needs the network.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from project_runs import PROJECT_ROOT

IMAGE = "roadmap-pipelines-serve:test"


def _docker_engine() -> str | None:
    """Why Docker cannot be used here, or None if it can."""
    if shutil.which("docker") is None:
        return "no docker command on PATH"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return f"no Docker engine answers `docker info`: {info.stderr.strip()[:200]}"
    return None


def test_the_image_builds_and_serves_health(default_run: Path) -> None:
    reason = _docker_engine()
    if reason is not None:
        pytest.skip(f"Docker unavailable ({reason})")
    subprocess.run(["docker", "build", "-t", IMAGE, str(PROJECT_ROOT)], check=True)
    container = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "-d",
            "-p",
            "127.0.0.1::8000",
            "-v",
            f"{default_run / 'data'}:/app/data:ro",
            IMAGE,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        port = (
            subprocess.run(
                ["docker", "port", container, "8000"], capture_output=True, text=True, check=True
            )
            .stdout.split(":")[-1]
            .strip()
        )
        body = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(1)
        assert body is not None and '"status":"ok"' in body
    finally:
        subprocess.run(["docker", "stop", container], capture_output=True, check=False)
