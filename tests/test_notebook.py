"""The EDA notebook runs top to bottom on the catalog of a project that has been run."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from project_runs import PROJECT_ROOT


def test_eda_notebook_executes_on_the_catalog(completed_project: Path) -> None:
    notebook_dir = completed_project / "notebooks"
    notebook_dir.mkdir()
    shutil.copy2(PROJECT_ROOT / "notebooks/eda.ipynb", notebook_dir / "eda.ipynb")
    notebook = nbformat.read(notebook_dir / "eda.ipynb", as_version=4)

    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": notebook_dir}}
    ).execute()

    def texts(index: int) -> str:
        return "".join(
            output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            for output in notebook.cells[index].outputs
        )

    def figures(index: int) -> list[dict]:
        return [
            output["data"]["application/vnd.plotly.v1+json"]
            for output in notebook.cells[index].outputs
            if "application/vnd.plotly.v1+json" in output.get("data", {})
        ]

    assert "3561 train rows, target 'Status'" in texts(2)
    assert "good" in texts(8) and "bad" in texts(8)
    (heatmap,) = figures(11)
    assert heatmap["data"][0]["type"] == "heatmap"
    (overview,) = figures(12)
    assert len(overview["data"]) == 6
