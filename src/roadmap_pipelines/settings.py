"""Project settings: the config loader and the project's hooks."""

from kedro.config import OmegaConfigLoader

from roadmap_pipelines.project.hooks import (
    ExecutionHooks,
    NodeTimingHooks,
    RunRollbackHooks,
    ThreadLimitHooks,
)

# ExecutionHooks last: its before_pipeline_run runs first, so an unreachable scheduler stops
# the run before the other hooks snapshot outputs or change thread limits.
HOOKS = (NodeTimingHooks(), RunRollbackHooks(), ThreadLimitHooks(), ExecutionHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
