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

    outputs = {
        index: "".join(
            output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            for output in cell.get("outputs", [])
        )
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
    }
    assert "train rows, target 'Status'" in outputs[2]
    assert "good" in outputs[8] and "bad" in outputs[8]
    assert any("Figure" in text or "heatmap" in text for text in outputs.values())
