"""roadmap-pipelines: the machine-learning roadmap as configurable Kedro pipelines."""

import os

from roadmap_pipelines.project.numeric_env import pin_numpy_simd

# Before anything imports NumPy: `kedro`, `python -m roadmap_pipelines`, DVC stages, the
# tests and the notebook all import this package first (Kedro reads settings.py before any
# library), so every entry point runs NumPy's AVX2 loops on any x86-64 CPU with AVX2.
pin_numpy_simd()
# Process-level settings belong before any library loads, and only here. OpenMP reads its wait
# policy when LightGBM first loads it: spinning idle threads slow shared cores 10-50x.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

__version__ = "0.1.0"
