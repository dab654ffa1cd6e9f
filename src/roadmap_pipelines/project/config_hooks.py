"""Hooks that prepare a run from its configuration before the first node: build the pipelines
for the tasks of the environment being run, and stop on any configuration mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline


class TaskConfigHooks:
    """Build the pipelines for the tasks of the environment a session runs.

    Kedro builds its pipeline registry lazily and caches it for the process, without a config
    loader; the task list lives in the configuration (``--env``, ``KEDRO_ENV``,
    ``--conf-source``, ``conf/local``), so each new context hands its loader to the task
    registry and resets Kedro's cache, and the next access rebuilds the pipelines from it.
    The loader is forgotten when the run ends, so it never leaks into another project.
    """

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import PACKAGE_NAME, pipelines

        from roadmap_pipelines.project.tasks import use_config_loader

        use_config_loader(context.config_loader)
        pipelines.configure(f"{PACKAGE_NAME}.pipeline_registry")

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Forget the run's loader: later registrations in this process (another project,
        another environment) read their own configuration."""
        from roadmap_pipelines.project.tasks import use_config_loader

        use_config_loader(None)

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Forget the failed run's loader too."""
        self.after_pipeline_run()


class ConfigCheckHooks:
    """Stop a run before its first node on any configuration mistake, reporting all of them.

    After the context is created: trust the packages listed under ``trusted_packages`` (the
    estimator import-path allow-list, before Kedro validates the parameter models). Before the
    run: top-level keys nothing reads (in the parameters files or ``--params``), and every
    tabular candidate built without fitting (``project.config_checks``).
    """

    def __init__(self) -> None:
        self._context: Any = None
        # the raw parameters read when the context was created, checked again before the run
        # (parsing every parameters file once more costs a quarter of a second)
        self._parameters: Any = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Apply ``trusted_packages`` from the raw parameters."""
        from roadmap_pipelines.ml.import_policy import CONF_KEY, allow_packages

        self._context, self._parameters = context, None
        try:
            parameters = context.config_loader["parameters"]
        except Exception:  # noqa: BLE001 - no parameters: nothing to trust, Kedro reports it
            return
        self._parameters = parameters
        allow_packages(parameters.get(CONF_KEY) or [])

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline) -> None:
        """Collect every configuration error and raise them together."""
        from kedro.framework.project import pipelines

        from roadmap_pipelines.project.config_checks import (
            PROJECT_KEYS,
            ConfigurationError,
            candidate_errors,
            flatten_keys,
            parameter_keys_read,
            top_level_sources,
            unknown_key_errors,
        )

        if self._context is None:
            return
        loader = self._context.config_loader
        environments = [loader.base_env, loader.default_run_env]
        if self._context.env and self._context.env not in environments:
            environments.append(self._context.env)
        sources = top_level_sources(Path(loader.conf_source), environments)
        known = set(PROJECT_KEYS)
        # every registered pipeline, not only the requested ones Kedro has loaded (Kedro does
        # the same for its suggestions when a pipeline name is unknown)
        pipelines.set_requested(None)
        for registered in pipelines.values():
            known |= parameter_keys_read(registered.inputs())
        runtime = flatten_keys(run_params.get("runtime_params") or {})
        # runtime params that are not parameters (the catalog's ${runtime_params:...}) are
        # read by the catalog, not by nodes
        catalog_keys = _catalog_runtime_keys(Path(loader.conf_source), environments)
        runtime = [key for key in runtime if key.split(".")[0] not in catalog_keys]
        errors = unknown_key_errors(sources, runtime, known)
        raw = loader["parameters"] if self._parameters is None else self._parameters
        tasks = {node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace}
        if any(name.startswith("params:modelling_tabular") for name in pipeline.inputs()):
            errors += candidate_errors(
                raw.get("modelling_tabular") or {},
                {
                    task: (spec or {}).get("problem")
                    for task, spec in (raw.get("tasks") or {}).items()
                },
                sorted(tasks),
                sources.get("modelling_tabular", "parameters"),
            )
        if errors:
            raise ConfigurationError(errors)


def _catalog_runtime_keys(conf_source: Path, environments: list[str]) -> set[str]:
    """Top-level names the catalog reads with ``${runtime_params:name}``."""
    import re

    names: set[str] = set()
    for environment in environments:
        for path in (conf_source / environment).glob("catalog*.yml"):
            names.update(re.findall(r"\$\{runtime_params:([A-Za-z_][\w]*)", path.read_text()))
    return names
