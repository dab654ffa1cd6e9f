"""A pickle backend whose bytes depend only on an object's value, for byte-identical models.

Standard pickle writes a string once and refers back to it wherever the *same string object*
appears again. Whether two equal strings are one object depends on how they were made: a model
fitted in the process that built its preprocessor shares column names with the parameters,
one fitted after loading the preprocessor from disk does not. So the same model pickled two
ways differed in bytes, and DVC saw a change. This backend writes every string in full.
NumPy dtypes likewise: fitted arrays share one ``float64`` dtype object, unpickled arrays
each get their own, so a reloaded model pickled differently until dtypes were written in full
too.

Used as ``backend: roadmap_pipelines.ml.canonical_pickle`` of ``pickle.PickleDataset``.
"""

from __future__ import annotations

import pickle
import sys
from typing import IO, Any

from roadmap_pipelines.compat import PurePythonPickler


class _ValuePickler(PurePythonPickler):  # type: ignore[misc,valid-type]
    def memoize(self, obj: Any) -> None:
        if isinstance(obj, str) or _is_dtype(obj):
            return
        super().memoize(obj)


def _is_dtype(obj: Any) -> bool:
    numpy = sys.modules.get("numpy")  # nothing to do (and nothing to import) without NumPy
    return numpy is not None and isinstance(obj, numpy.dtype)


def dump(obj: Any, file: IO[bytes], protocol: int = 5) -> None:
    """Pickle ``obj`` into ``file`` with every string written out in full."""
    _ValuePickler(file, protocol=protocol).dump(obj)


def load(file: IO[bytes]) -> Any:
    """Unpickle an object written by ``dump`` (or by standard pickle)."""
    return pickle.load(file)
