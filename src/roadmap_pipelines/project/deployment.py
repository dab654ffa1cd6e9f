"""Build each task's deployable scorer from the catalog and parameters of a Kedro project.

The batch pipeline gets its inputs from the catalog through Kedro; the service and the tests
call ``load_scorer`` with a loaded catalog, which checks the model file's content hash before
the pickle is opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from roadmap_pipelines.ml.tabular.model_file import check_model_file
from roadmap_pipelines.ml.tabular.scoring import Scorer
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import TabularParams, TabularPreprocessing
from roadmap_pipelines.params.tasks import TaskParams

COLUMNS_KEY = "parameters_tasks.yml: tasks.<task>.columns"


def task_declaration(
    parameters: Mapping[str, Any], task: str
) -> tuple[TabularParams, FeatureParams, Literal["classification", "regression"]]:
    """Where a task's schema, features and problem are declared in the parameters.

    The one place deployment reads a task's declaration from: ``tasks.<task>`` joined with
    its ``preprocessing.tabular.<task>`` block, as the preprocessing pipeline joins them.

    Args:
        parameters: The project's parameters (``context.params``).
        task: The task's name.

    Returns:
        Its tabular parameters (target, columns, cleaning), feature parameters and problem.

    Raises:
        KeyError: If a block of the task is missing.
    """
    preprocessing = parameters["preprocessing"]
    # Kedro hands out parameter blocks as the pydantic models nodes declare, or as dicts
    tabular_blocks = getattr(preprocessing, "tabular", None) or preprocessing["tabular"]
    declaration = TaskParams.model_validate(parameters["tasks"][task])
    tabular = TabularParams.combine(
        declaration, TabularPreprocessing.model_validate(tabular_blocks[task])
    )
    features = FeatureParams.model_validate(parameters["feature_engineering"][task])
    return tabular, features, declaration.problem


def scorer_from_artifacts(
    task: str,
    parameters: Mapping[str, Any],
    model: Any,
    cleaning_rules: dict[str, Any],
    metadata: dict[str, Any],
) -> Scorer:
    """Assemble the scorer of ``task`` from its loaded training artifacts.

    Args:
        task: The task's name.
        parameters: The project's parameters.
        model: ``<task>.model``.
        cleaning_rules: ``<task>.cleaning_rules``.
        metadata: ``<task>.model_metadata``.

    Returns:
        The task's scorer.
    """
    tabular, features, problem = task_declaration(parameters, task)
    return Scorer(
        task=task,
        tabular=tabular,
        features=features,
        problem=problem,
        cleaning_rules=cleaning_rules,
        model=model,
        metadata=metadata,
        params_key=COLUMNS_KEY.replace("<task>", task),
    )


def dataset_path(catalog: Any, name: str) -> Path:
    """The local file a catalog dataset reads."""
    dataset = catalog.get(name, fallback_to_runtime_pattern=True)
    return Path(str(dataset._filepath))


def load_scorer(catalog: Any, parameters: Mapping[str, Any], task: str) -> Scorer:
    """Load ``task``'s artifacts from the catalog, the model only if its hash matches.

    Args:
        catalog: The project's data catalog.
        parameters: The project's parameters.
        task: The task's name.

    Returns:
        The task's scorer.

    Raises:
        ModelFileError: If ``<task>.model``'s file is not the one training recorded.
    """
    metadata = catalog.load(f"{task}.model_metadata")
    check_model_file(dataset_path(catalog, f"{task}.model"), metadata.get("model_sha256"))
    return scorer_from_artifacts(
        task,
        parameters,
        catalog.load(f"{task}.model"),
        catalog.load(f"{task}.cleaning_rules"),
        metadata,
    )


def load_service(project_path: Path, env: str | None = None) -> tuple[Any, Any]:
    """Load every configured task's scorer and the series' models through the catalog.

    Args:
        project_path: The Kedro project's root.
        env: Configuration environment (``conf/<env>``), default Kedro's.

    Returns:
        The ``ServiceArtifacts`` and the validated ``ServingParams``.

    Raises:
        ModelFileError: If a model file is missing or not the one training recorded.
    """
    from datetime import UTC, datetime

    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from roadmap_pipelines.params.serving import ServingParams
    from roadmap_pipelines.project.tasks import configured_tasks
    from roadmap_pipelines.serving.app import ServiceArtifacts

    bootstrap_project(project_path)
    with KedroSession.create(project_path=project_path, env=env) as session:
        # the base class's __enter__ is annotated as AbstractSession; create() made a KedroSession
        assert isinstance(session, KedroSession)
        context = session.load_context()
        catalog, parameters = context.catalog, context.params
        # the raw YAML: context.params may hold the validated models of node parameters
        tasks = configured_tasks(context.config_loader["parameters"])
    serving = ServingParams.model_validate(parameters.get("serving") or {})
    scorers, trained_at = {}, {}
    for task in tasks:
        scorers[task] = load_scorer(catalog, parameters, task)
        modified = dataset_path(catalog, f"{task}.model").stat().st_mtime
        trained_at[task] = datetime.fromtimestamp(modified, UTC).isoformat(timespec="seconds")
    forecasters = catalog.load("ts_models") if catalog.exists("ts_models") else {}
    artifacts = ServiceArtifacts(
        scorers=scorers,
        forecasters=forecasters,
        trained_at=trained_at,
        max_batch_rows=serving.max_batch_rows,
        max_horizon=serving.max_horizon,
        scoring_threads=serving.scoring_threads,
    )
    return artifacts, serving


def serve(project_path: Path, env: str | None = None) -> None:
    """Load the artifacts and run the service with uvicorn until interrupted.

    ``HOST`` and ``PORT`` environment variables override ``serving.host`` and ``serving.port``.

    Args:
        project_path: The Kedro project's root.
        env: Configuration environment.
    """
    import os

    import uvicorn

    from roadmap_pipelines.serving.app import create_app

    artifacts, serving = load_service(project_path, env)
    host = os.environ.get("HOST") or serving.host
    port = int(os.environ.get("PORT") or serving.port)
    uvicorn.run(create_app(artifacts), host=host, port=port, log_level="info")
