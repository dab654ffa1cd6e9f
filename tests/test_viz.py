"""Kedro-Viz can build the project: every pipeline, node and layer is there to browse.

The live server in a real browser is tested in ``test_viz_browser.py``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from project_runs import PROJECT_ROOT, reporting_datasets
from task_config import CONFIGURED_TASKS

# what Kedro-Viz calls the preview of each dataset type of the reporting layer
PREVIEW_TYPES = {
    "CSVDataset": "TablePreview",
    "ParquetDataset": "TablePreview",
    "JSONDataset": "JSONPreview",  # kedro_datasets.json
    "PlotlyJSONDataset": "PlotlyPreview",  # kedro_datasets.plotly.JSONDataset
    "MatplotlibDataset": "ImagePreview",  # a base64 PNG
    "HTMLReportDataset": "HTMLPreview",  # roadmap_pipelines.project.datasets: the page's contents
}


def kedro_viz_build(project: Path, *options: str) -> Path:
    """Run ``kedro viz build [options]`` in ``project``; return the static site's api folder."""
    kedro = Path(sys.executable).with_name("kedro")
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    subprocess.run(
        [str(kedro), "viz", "build", *options],
        cwd=project,
        env=environment,
        check=True,
        capture_output=True,
    )
    return project / "build/api"


def test_kedro_viz_build_shows_every_pipeline_node_and_layer(project: Path) -> None:
    api = kedro_viz_build(project)
    main = json.loads((api / "main").read_text())

    bootstrap_project(PROJECT_ROOT)
    assert {path.name for path in (api / "pipelines").iterdir()} == set(pipelines)
    # Viz shows each node's short name inside its task's collapsible namespace
    shown = {
        ".".join([*(node["modular_pipelines"] or []), node["name"]])
        for node in main["nodes"]
        if node["type"] == "task"
    }
    assert shown == {node.name for node in pipelines["__default__"].nodes}
    namespaces = {node["name"] for node in main["nodes"] if node["type"] == "modularPipeline"}
    assert namespaces == set(CONFIGURED_TASKS)
    # Viz orders layers by the data flow; the numbered folders follow the same order (reports
    # are drawn from several layers, so their place varies)
    order = ["raw", "intermediate", "primary", "feature", "models", "model_output"]
    assert [layer for layer in main["layers"] if layer in order] == order
    assert {"raw", "primary", "feature", "models", "model_output", "reporting"} <= set(
        main["layers"]
    )
    parameters = {node["name"] for node in main["nodes"] if node["type"] == "parameters"}
    assert {f"params:tasks.{task}" for task in CONFIGURED_TASKS} <= parameters


@pytest.mark.parametrize("include_previews", [True, False], ids=["with-previews", "no-previews"])
def test_kedro_viz_build_writes_reporting_previews_only_when_asked(
    completed_project: Path, include_previews: bool
) -> None:
    api = kedro_viz_build(completed_project, *(["--include-previews"] if include_previews else []))
    node_ids = {
        node["name"]: node["id"] for node in json.loads((api / "main").read_text())["nodes"]
    }
    reporting = reporting_datasets(completed_project)
    assert len(reporting) >= 10, sorted(reporting)

    for name, dataset in reporting.items():
        node = json.loads((api / "nodes" / node_ids[name]).read_text())
        if not include_previews:
            assert node.get("preview") is None, name
            continue
        kind = type(dataset).__name__
        if type(dataset).__module__.startswith("kedro_datasets.plotly"):
            kind = "PlotlyJSONDataset"
        assert node["preview_type"] == PREVIEW_TYPES[kind], name
        assert node["preview"], name
        if kind in ("CSVDataset", "ParquetDataset"):
            # the catalog's preview_args: the first 20 rows (Kedro-Viz's default is 5)
            rows = dataset.load()
            assert len(node["preview"]["data"]) == min(20, len(rows)), name
            assert node["preview"]["columns"] == list(rows.columns), name
        elif kind == "PlotlyJSONDataset":
            # the whole figure the reporting pipeline wrote
            assert node["preview"] == json.loads(Path(node["filepath"]).read_text()), name
        elif kind == "MatplotlibDataset":
            # the PNG file itself
            assert base64.b64decode(node["preview"]) == Path(node["filepath"]).read_bytes(), name
        elif kind == "HTMLReportDataset":
            # the page's sections and reports, not its megabytes of plotly.js
            assert node["preview"].startswith("**roadmap-pipelines report**"), name
            assert f"- **Task: {CONFIGURED_TASKS[0]}**" in node["preview"], name

    if include_previews:
        # a table longer than the preview really is cut at 20 rows
        profile = json.loads((api / "nodes" / node_ids["ames.column_profile"]).read_text())
        assert len(profile["preview"]["data"]) == 20
