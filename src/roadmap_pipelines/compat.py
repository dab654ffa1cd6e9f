"""Every private API of a third-party library that the project relies on, in one place.

Each function names what it reaches into and why no public API serves. When an upgrade
changes one of them, ``tests/test_compat.py`` fails here, naming the library, instead of a
pipeline failing (or silently changing its output) somewhere else.

This module imports only the standard library at import time, so the library layer
(``roadmap_pipelines.ml``) and project tooling can both use it.
"""

from __future__ import annotations

import pickle
from pathlib import PurePosixPath
from typing import Any

# The pure-Python pickler: the C pickler (pickle.Pickler) does not let a subclass override
# memoisation, which canonical_pickle needs to write equal strings and dtypes in full.
# private API: the stubs type _Pickler apart from Pickler, though it has Pickler's interface
PurePythonPickler: type[pickle.Pickler] = pickle._Pickler  # type: ignore[assignment]


def lightgbm_parameter_aliases() -> set[str] | None:
    """Every native LightGBM parameter name and alias, or ``None`` if LightGBM hides them.

    LightGBM's scikit-learn classes take ``**kwargs`` and pass unknown names to the C++ core,
    which only warns; its alias table (``lightgbm.basic._ConfigAliases``) is the one list of
    the names it accepts, used to catch typos before a fit.
    """
    try:
        from lightgbm.basic import _ConfigAliases

        aliases = _ConfigAliases._get_all_param_aliases()
    except (ImportError, AttributeError):
        return None
    return {alias for names in aliases.values() for alias in names}


def dataset_local_path(dataset: Any) -> PurePosixPath | None:
    """The local file or folder a kedro-datasets dataset reads and writes, or ``None``.

    kedro-datasets keeps a file dataset's location in ``_filepath`` and a folder dataset's
    (partitions) in ``_path``, with the fsspec protocol in ``_protocol``; no public accessor
    exists. Datasets stored elsewhere (memory, S3, HTTP) give ``None``.
    """
    location = getattr(dataset, "_filepath", None) or getattr(dataset, "_path", None)
    if location is None or getattr(dataset, "_protocol", "file") != "file":
        return None
    return PurePosixPath(str(location))
