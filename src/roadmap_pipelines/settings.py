"""Project settings: the config loader and the project's hooks."""

from kedro.config import OmegaConfigLoader

from roadmap_pipelines.project.hooks import (
    NodeTimingHooks,
    RunRollbackHooks,
    TaskConfigHooks,
    ThreadLimitHooks,
)

HOOKS = (TaskConfigHooks(), NodeTimingHooks(), RunRollbackHooks(), ThreadLimitHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
