"""Which classes configuration may name by import path: never arbitrary code.

An estimator, transformer or clusterer given as ``package.module.Class`` in a parameters file
or ``--params`` is imported only when its top-level package is trusted (scikit-learn,
LightGBM, statsmodels, this project, plus packages the user lists under ``trusted_packages``
in ``conf/base/parameters.yml``), and only when it is a class with the methods its role needs
(``fit`` for an estimator). The package is checked *before* anything is imported, since
importing a module runs its code.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable

DEFAULT_PACKAGES = ("sklearn", "lightgbm", "statsmodels", "roadmap_pipelines")
CONF_KEY = "trusted_packages"

_extra_packages: set[str] = set()


class ImportPolicyError(ValueError):
    """An import path names something configuration may not run."""


def allow_packages(names: Iterable[str]) -> None:
    """Trust these top-level packages too (the ``trusted_packages`` list of ``conf/``).

    Args:
        names: Top-level package names, e.g. ``["xgboost"]``.

    Raises:
        ImportPolicyError: If a name is not a plain top-level package name.
    """
    names = list(names or [])
    bad = [name for name in names if not isinstance(name, str) or not name.isidentifier()]
    if bad:
        raise ImportPolicyError(
            f"{CONF_KEY}: {bad} are not top-level package names (such as 'xgboost')"
        )
    _extra_packages.update(names)


def trusted_packages() -> list[str]:
    """Every top-level package whose classes configuration may name, sorted."""
    return sorted({*DEFAULT_PACKAGES, *_extra_packages})


def check_trusted(path: str, role: str) -> None:
    """Refuse ``path`` unless its top-level package is trusted; imports nothing.

    Raises:
        ImportPolicyError: If the package is not trusted (the message says how to trust it).
    """
    package = path.split(".", maxsplit=1)[0]
    trusted = trusted_packages()
    if package not in trusted:
        close = difflib.get_close_matches(package, trusted, n=1)
        raise ImportPolicyError(
            f"{role} '{path}': package '{package}' is not trusted to run from configuration"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f"; trusted: {trusted}. If you trust its code, add '{package}' to "
            f"{CONF_KEY} in conf/base/parameters.yml"
        )


def import_class(path: str, role: str, required: tuple[str, ...] = ("fit",)) -> type:
    """Import the class ``path`` names if its package is trusted and it has ``required``.

    Args:
        path: ``package.module.Class``.
        role: What the class is for (``estimator``, ``clusterer``…), used in messages.
        required: Methods the class must have.

    Returns:
        The class.

    Raises:
        ImportPolicyError: If the package is not trusted (nothing is imported then), the
            path does not import, or it names something other than such a class.
    """
    check_trusted(path, role)
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ImportPolicyError(f"{role} '{path}' is not an import path (package.module.Class)")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ImportPolicyError(f"{role} '{path}' does not import: {error}") from None
    if not isinstance(found, type):
        raise ImportPolicyError(f"{role} '{path}' is a {type(found).__name__}, not a class")
    missing = [name for name in required if not callable(getattr(found, name, None))]
    if missing:
        raise ImportPolicyError(
            f"{role} '{path}' ({found.__name__}) has no {', '.join(missing)} method: "
            f"it is not usable as the {role}"
        )
    return found
