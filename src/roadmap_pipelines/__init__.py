"""roadmap-pipelines: the machine-learning roadmap as configurable Kedro pipelines."""

from roadmap_pipelines.project.numeric_env import pin_numpy_simd

# Before anything imports NumPy: `kedro`, `python -m roadmap_pipelines`, DVC stages, the
# tests and the notebook all import this package first (Kedro reads settings.py before any
# library), so every entry point runs NumPy's AVX2 loops on any x86-64 CPU with AVX2.
pin_numpy_simd()

__version__ = "0.1.0"
