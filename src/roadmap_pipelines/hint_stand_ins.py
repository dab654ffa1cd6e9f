"""Run-time stand-ins for ``pd`` and ``np`` in the type hints of node functions.

``kedro --help``, ``kedro registry list`` and Kedro-Viz import every node module, and pandas
with NumPy would be most of their start-up time. So a node module imports them for type
checkers only (``if TYPE_CHECKING:``) and inside the functions that use them, and binds
``pd``/``np`` to these stand-ins otherwise: Kedro resolves every hint of a node function
(``typing.get_type_hints``) to find the pydantic models of its parameters, and a hint naming
``pd.DataFrame`` then resolves to ``Any`` (Kedro validates only pydantic models and
dataclasses, never a dataset's hint). Only the names the hints use are here, so a new one
fails ``tests/test_startup_imports.py`` instead of passing silently.
"""

from types import SimpleNamespace
from typing import Any

pd = SimpleNamespace(DataFrame=Any, DatetimeIndex=Any, Index=Any, Series=Any)
np = SimpleNamespace(ndarray=Any)
