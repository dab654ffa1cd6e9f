"""Record the numeric environment of every successful run beside ``dvc.lock``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from roadmap_pipelines.project.numeric_env import (
    ENVIRONMENT_FILE,
    NUMPY_SIMD_PIN,
    NUMPY_SIMD_VARIABLE,
    simd_pin_ineffective,
    write_environment,
)

logger = logging.getLogger(__name__)


class NumericEnvironmentHooks:
    """Warn when NumPy's SIMD level is not pinned; write ``numeric_environment.json`` after a
    successful run, so the outputs and the environment that computed them travel together."""

    def __init__(self) -> None:
        self._root: Path | None = None

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        """Remember the project root; warn if NumPy runs SIMD loops the pin disables."""
        self._root = Path(run_params["project_path"])
        unpinned = simd_pin_ineffective()
        if unpinned:
            # NumPy read the variable before roadmap_pipelines could set it (a notebook or
            # script that imported numpy first), or the user chose another level on purpose
            logger.warning(
                "NumPy runs %s loops in this process: floats may differ in the last bits from "
                "other machines and from dvc.lock. Import roadmap_pipelines before numpy, or "
                "set %s='%s' before starting Python.",
                "/".join(unpinned),
                NUMPY_SIMD_VARIABLE,
                NUMPY_SIMD_PIN,
            )

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Write the environment file (only when its content changes)."""
        if self._root is not None and write_environment(self._root):
            logger.info("Recorded this machine's numeric environment in %s", ENVIRONMENT_FILE)
