"""Project settings: the config loader and the project's hooks."""

from kedro.config import OmegaConfigLoader

from roadmap_pipelines.hooks import NodeTimingHooks, RunRollbackHooks, ThreadLimitHooks
from roadmap_pipelines.project.environment_hooks import NumericEnvironmentHooks

HOOKS = (NodeTimingHooks(), RunRollbackHooks(), ThreadLimitHooks(), NumericEnvironmentHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
