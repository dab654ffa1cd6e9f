"""A tiny package on disk for testing the static import analysis and the stage generator."""

from __future__ import annotations

import textwrap
from pathlib import Path

FILES = {
    "fakepkg/__init__.py": '"""Top package."""\n',
    "fakepkg/pipelines/__init__.py": '"""Pipelines."""\n',
    "fakepkg/pipelines/alpha/__init__.py": "from .pipeline import create_pipeline\n",
    "fakepkg/pipelines/alpha/pipeline.py": """
        from fakepkg.pipelines.alpha.nodes import train
        from ..beta import helpers as beta_helpers


        def create_pipeline():
            return [train, beta_helpers]
    """,
    "fakepkg/pipelines/alpha/nodes.py": """
        import importlib
        from typing import TYPE_CHECKING

        import pandas as pd

        import fakepkg.shared.top as top

        if TYPE_CHECKING:
            from fakepkg.typing_only import Hint


        def train(data):
            from fakepkg.shared import lazy

            plugin = importlib.import_module(data.plugin)  # a name known only at run time
            return lazy, plugin, top, pd
    """,
    "fakepkg/pipelines/beta/__init__.py": "",
    "fakepkg/pipelines/beta/helpers.py": "from fakepkg.shared.deep import VALUE\n",
    "fakepkg/pipelines/beta/nodes.py": "import fakepkg.unused\n",
    "fakepkg/shared/__init__.py": "",
    "fakepkg/shared/top.py": "from . import deep\n",
    "fakepkg/shared/deep.py": """
        import os

        from fakepkg.shared.top import deep  # a cycle

        VALUE = 1
    """,
    "fakepkg/shared/lazy.py": "",
    "fakepkg/dynamic.py": "",
    "fakepkg/typing_only.py": "",
    "fakepkg/estimators.py": "class Custom: ...\n",
    "fakepkg/unused.py": "",
}


def write_fake_package(source_dir: Path) -> Path:
    """Write ``fakepkg`` under ``source_dir`` and return ``source_dir``."""
    for name, text in FILES.items():
        path = source_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return source_dir
