"""Static import analysis on a tiny fake package: lazy, relative, typing-only and cyclic imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_package import write_fake_package
from roadmap_pipelines.project.module_imports import (
    module_file,
    module_name,
    module_references,
    project_modules,
)


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    return write_fake_package(tmp_path / "src")


def test_module_files_and_names(source_dir: Path) -> None:
    package = module_file("fakepkg.shared", "fakepkg", source_dir)
    module = module_file("fakepkg.shared.top", "fakepkg", source_dir)

    assert package == source_dir / "fakepkg/shared/__init__.py"
    assert module == source_dir / "fakepkg/shared/top.py"
    assert module_file("fakepkg.shared.top.deep", "fakepkg", source_dir) is None
    assert module_file("pandas", "fakepkg", source_dir) is None
    assert module_name(package, source_dir) == "fakepkg.shared"
    assert module_name(module, source_dir) == "fakepkg.shared.top"


def test_project_modules_follow_imports_recursively(source_dir: Path) -> None:
    roots = [
        module_name(path, source_dir)
        for path in (source_dir / "fakepkg/pipelines/alpha").rglob("*.py")
    ]

    found = project_modules(roots, "fakepkg", source_dir)

    assert set(found) == {
        "fakepkg",
        "fakepkg.pipelines",
        "fakepkg.pipelines.alpha",
        "fakepkg.pipelines.alpha.pipeline",
        "fakepkg.pipelines.alpha.nodes",
        # imported from another pipeline's folder, and the package around it
        "fakepkg.pipelines.beta",
        "fakepkg.pipelines.beta.helpers",
        "fakepkg.shared",
        "fakepkg.shared.top",
        "fakepkg.shared.deep",  # through top, relative; deep imports top back (a cycle)
        "fakepkg.shared.lazy",  # imported inside a node function
        "fakepkg.typing_only",
    }
    assert "fakepkg.unused" not in found  # only beta's nodes.py imports it
    assert found["fakepkg.shared.lazy"] == source_dir / "fakepkg/shared/lazy.py"


def test_module_references_find_import_paths_in_configuration() -> None:
    config = {
        "estimator": "fakepkg.estimators.Custom",
        "grid": [{"class": "sklearn.linear_model.Ridge"}, "fakepkg.dynamic"],
        "note": "fakepkg is great",
        "alpha": 0.5,
    }

    assert module_references(config, "fakepkg") == {
        "fakepkg.estimators",
        "fakepkg.estimators.Custom",
        "fakepkg.dynamic",
    }
