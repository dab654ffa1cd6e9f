"""Kedro-Viz can build the project: every pipeline, node and layer is there to browse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from project_runs import PROJECT_ROOT


def test_kedro_viz_build_shows_every_pipeline_node_and_layer(project: Path) -> None:
    kedro = Path(sys.executable).with_name("kedro")
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    subprocess.run(
        [str(kedro), "viz", "build"], cwd=project, env=environment, check=True, capture_output=True
    )
    api = project / "build/api"
    main = json.loads((api / "main").read_text())

    bootstrap_project(PROJECT_ROOT)
    assert {path.name for path in (api / "pipelines").iterdir()} == set(pipelines)
    shown = {node["name"] for node in main["nodes"] if node["type"] == "task"}
    assert shown == {node.name for node in pipelines["__default__"].nodes}
    assert main["layers"] == [
        "raw",
        "intermediate",
        "primary",
        "model_input",
        "feature",
        "model_output",
        "models",
        "reporting",
    ]
    parameters = {node["name"] for node in main["nodes"] if node["type"] == "parameters"}
    assert "params:preprocessing.tabular" in parameters
