"""Project settings: the config loader and the project's hooks."""

from kedro.config import OmegaConfigLoader

from roadmap_pipelines.project.environment_hooks import NumericEnvironmentHooks
from roadmap_pipelines.project.hooks import (
    ConfigCheckHooks,
    NodeTimingHooks,
    PartialFailureHooks,
    RunRollbackHooks,
    TaskConfigHooks,
    ThreadLimitHooks,
)

# pluggy calls the last registered first: the task list is read from the context's
# configuration, then configuration is checked before the run takes the project lock and
# journals its outputs
HOOKS = (
    NumericEnvironmentHooks(),
    NodeTimingHooks(),
    PartialFailureHooks(),
    RunRollbackHooks(),
    ThreadLimitHooks(),
    ConfigCheckHooks(),
    TaskConfigHooks(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
