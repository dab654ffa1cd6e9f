"""Which modules of a package a piece of code may execute, found by reading the source.

Static analysis on purpose: importing a pipeline shows only its top-level imports, while its
nodes import heavy or rarely used modules inside functions. Every ``import`` anywhere in a
file counts, relative imports are resolved, and the search follows the modules it reaches.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_MODULE_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def _package_of(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name ``source`` may import, anywhere in the file.

    Imports inside functions and ``if TYPE_CHECKING:`` blocks count, relative imports are
    made absolute, ``from package import name`` yields both ``package`` and
    ``package.name`` (``name`` may be a submodule), and ``importlib.import_module("...")``
    or ``__import__("...")`` with a literal name count too. Names that are not modules are
    harmless: callers keep only names that resolve to files.

    Args:
        source: Python source code.
        module: The module's own dotted name (resolves relative imports).
        is_package: Whether ``source`` is a package's ``__init__.py``.

    Returns:
        Candidate absolute module names.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module, is_package)
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            names.add(node.args[0].value)
    names.discard("")
    return names


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


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

    Follows imports recursively (see ``imported_modules``) and adds the ``__init__.py`` of
    every enclosing package, since Python runs it on import.

    Args:
        roots: Dotted module names to start from.
        package: Top-level package whose modules count.
        source_dir: Folder holding ``package``.

    Returns:
        Module name → source file, for the roots too.
    """
    found: dict[str, Path] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = module_file(name, package, source_dir)
        if path is None:
            continue
        found[name] = path
        parts = name.split(".")
        pending.extend(".".join(parts[:end]) for end in range(1, len(parts)))
        is_package = path.name == "__init__.py"
        pending.extend(imported_modules(path.read_text(encoding="utf-8"), name, is_package))
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
