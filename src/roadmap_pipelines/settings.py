"""Project settings: the config loader and the project's hooks."""

from kedro.config import OmegaConfigLoader

from roadmap_pipelines.project.config_hooks import ConfigCheckHooks, TaskConfigHooks
from roadmap_pipelines.project.environment_hooks import NumericEnvironmentHooks
from roadmap_pipelines.project.execution_hooks import ExecutionHooks, ThreadLimitHooks
from roadmap_pipelines.project.hooks import NodeTimingHooks, PartialFailureHooks
from roadmap_pipelines.project.rollback_hooks import RunRollbackHooks

# pluggy calls the last registered first: the task list is read from the context's
# configuration, configuration is checked, then the execution engine connects (an
# unreachable scheduler stops the run), all before the run takes the project lock and
# journals its outputs
HOOKS = (
    NumericEnvironmentHooks(),
    NodeTimingHooks(),
    PartialFailureHooks(),
    RunRollbackHooks(),
    ThreadLimitHooks(),
    ExecutionHooks(),
    ConfigCheckHooks(),
    TaskConfigHooks(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
