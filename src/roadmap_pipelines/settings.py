"""Project settings: the config loader and the project's hooks."""

from kedro.config import OmegaConfigLoader

from roadmap_pipelines.hooks import (
    ConfigCheckHooks,
    NodeTimingHooks,
    PartialFailureHooks,
    RunRollbackHooks,
    ThreadLimitHooks,
)

# pluggy calls the last registered first: configuration is checked before the run takes the
# project lock and journals its outputs
HOOKS = (
    NodeTimingHooks(),
    PartialFailureHooks(),
    RunRollbackHooks(),
    ThreadLimitHooks(),
    ConfigCheckHooks(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
