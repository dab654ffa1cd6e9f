"""Static import analysis on a tiny fake package: lazy, relative, dynamic and cyclic imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_package import write_fake_package
from roadmap_pipelines.project.module_imports import (
    imported_modules,
    module_file,
    module_name,
    module_references,
    project_modules,
)


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    return write_fake_package(tmp_path / "src")


def test_imports_inside_functions_and_type_checking_blocks_count() -> None:
    source = """
import os
from a.b import c, d as e
def f():
    import lazy.one
    from lazy import two
if TYPE_CHECKING:
    from typing_only import Hint
"""
    names = imported_modules(source, "pkg.mod")

    assert {"os", "a.b", "a.b.c", "a.b.d", "lazy.one", "lazy", "lazy.two"} <= names
    assert {"typing_only", "typing_only.Hint"} <= names


def test_relative_imports_are_resolved_from_the_module_or_package() -> None:
    source = "from . import sibling\nfrom ..other import thing\nfrom .sub.deep import x\n"

    in_module = imported_modules(source, "pkg.sub.mod")
    in_package = imported_modules(source, "pkg.sub", is_package=True)

    assert {"pkg.sub.sibling", "pkg.other", "pkg.other.thing", "pkg.sub.sub.deep"} <= in_module
    assert {"pkg.sub.sibling", "pkg.other.thing", "pkg.sub.sub.deep"} <= in_package - {"pkg"}
    assert "pkg.sibling" in imported_modules(source, "pkg", is_package=True)


def test_import_module_with_a_literal_name_counts() -> None:
    source = (
        "import importlib\n"
        "def load():\n"
        "    importlib.import_module('plug.in')\n"
        "    __import__('other')\n"
        "    importlib.import_module(name)\n"
    )

    assert {"plug.in", "other"} <= imported_modules(source, "pkg.mod")


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
        "fakepkg.dynamic",  # importlib.import_module("...")
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
