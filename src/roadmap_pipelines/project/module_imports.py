"""Which modules of a package a piece of code may execute, found by reading the source.

Static analysis on purpose: importing a pipeline shows only its top-level imports, while its
nodes import heavy or rarely used modules inside functions. grimp reads every ``import`` in
a file (inside functions and ``if TYPE_CHECKING:`` blocks too) and resolves relative ones;
the search follows the modules it reaches and adds the packages around them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_MODULE_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def module_file(module: str, package: str, source_dir: Path) -> Path | None:
    """The source file of ``module`` if it belongs to ``package`` under ``source_dir``.

    Args:
        module: Dotted module name.
        package: Top-level package whose modules count (others are libraries).
        source_dir: Folder holding ``package``.

    Returns:
        ``<module>.py`` or ``<package>/__init__.py``, or ``None`` for anything else.
    """
    parts = module.split(".")
    if parts[0] != package:
        return None
    base = source_dir.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def module_name(path: Path, source_dir: Path) -> str:
    """Dotted module name of a source file below ``source_dir``."""
    parts = path.relative_to(source_dir).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(roots: Iterable[str], package: str, source_dir: Path) -> dict[str, Path]:
    """Every module of ``package`` that importing ``roots`` may execute.

    Follows imports recursively through grimp's import graph of the package and adds the
    ``__init__.py`` of every enclosing package, since Python runs it on import.

    Args:
        roots: Dotted module names to start from.
        package: Top-level package whose modules count.
        source_dir: Folder holding ``package``.

    Returns:
        Module name → source file, for the roots too.
    """
    import grimp

    sys.path.insert(0, str(source_dir))  # grimp finds the package through the import system
    try:
        graph = grimp.build_graph(package, cache_dir=None)
    finally:
        sys.path.remove(str(source_dir))
    found: dict[str, Path] = {}
    pending = [root for root in roots if root in graph.modules]
    while pending:
        name = pending.pop()
        path = module_file(name, package, source_dir)
        if name in found or path is None:
            continue
        found[name] = path
        # the modules it imports, and the packages around it (Python runs their __init__)
        parts = name.split(".")
        pending.extend(graph.find_modules_directly_imported_by(name))
        pending.extend(".".join(parts[:end]) for end in range(1, len(parts)))
    return found


def module_references(value: Any, package: str) -> set[str]:
    """Dotted names of ``package`` written as strings inside configuration.

    An estimator given by import path in a parameters file, or a custom dataset ``type`` in
    the catalog, makes a stage depend on that module just as an import does.

    Args:
        value: A parameter value or catalog entry (nested mappings and lists).
        package: Top-level package whose names count.

    Returns:
        Every such string and its dotted prefixes (one of them is the module).
    """
    if isinstance(value, Mapping):
        return {name for item in value.values() for name in module_references(item, package)}
    if isinstance(value, list | tuple):
        return {name for item in value for name in module_references(item, package)}
    if isinstance(value, str) and value.startswith(f"{package}.") and _MODULE_PATH.match(value):
        parts = value.split(".")
        return {".".join(parts[:end]) for end in range(2, len(parts) + 1)}
    return set()
