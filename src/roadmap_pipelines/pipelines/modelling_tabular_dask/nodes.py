"""Nodes that train LightGBM across the Dask cluster on a task's table read as a Dask DataFrame.

They adapt the catalog's data to ``ml.tabular.dask_lightgbm`` and find the cluster the run's
``ExecutionHooks`` connected to (``execution.engine: dask``).
"""

from __future__ import annotations

from typing import Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.tabular.dask_lightgbm import (
    FeatureSpec,
    TrainedLightGBM,
    check_positive_class,
    evaluate,
    feature_spec,
    fit_lightgbm,
    split_table,
    typed_table,
    with_known_categories,
)
from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.params.modelling_tabular_dask import FILE, DaskTabularModelling
from roadmap_pipelines.params.tasks import TaskParams

# Dask DataFrames are typed Any here: Kedro validates a node's parameters from its resolved
# type hints, and a hint that only exists for type checkers would switch that off; importing
# dask.dataframe for it would slow every CLI start
DaskFrame = Any


class DaskEngineError(RuntimeError):
    """The pipeline runs without a Dask cluster."""


def cluster_client() -> Any:
    """The ``distributed.Client`` of the run's cluster.

    Raises:
        DaskEngineError: The run has no cluster (``execution.engine`` is ``local``).
    """
    from distributed import get_client

    try:
        return get_client()
    except ValueError as error:
        raise DaskEngineError(
            "modelling_tabular_dask trains on a Dask cluster: set execution.engine: dask in "
            "conf/base/parameters_execution.yml (with scheduler_address for a running cluster, "
            "or null for a LocalCluster), or remove the task's block from "
            f"{FILE}"
        ) from error


def split_dask_table(
    table: DaskFrame,
    params: DaskTabularModelling,
    task: TaskParams,
    random_state: int,
) -> tuple[DaskFrame, DaskFrame, FeatureSpec]:
    """Type the table's partitions for LightGBM and split its rows into train and test.

    Everything is checked before any training: the cluster, the metrics for the problem, the
    declared features, their presence in the table and the positive class. The only pass
    over the data here finds categories that ``allowed`` does not declare.

    Args:
        table: The task's table, lazily read (``<task>.tabular_dask``).
        params: ``modelling_tabular_dask.<task>``.
        task: ``tasks.<task>``: target, problem and column declarations.
        random_state: The seed of the split.

    Returns:
        The train rows, the test rows (both lazy) and the feature spec they were typed with.

    Raises:
        DaskEngineError: No cluster.
        InputDataError: Metrics that do not suit the problem, unusable or missing columns,
            or a positive class that is not a class.
    """
    cluster_client()
    suited = CLASSIFICATION_METRICS if task.problem == "classification" else REGRESSION_METRICS
    unsuited = [name for name in params.metrics if name not in suited]
    if unsuited:
        raise InputDataError(
            f"{FILE}: metrics {unsuited} do not apply to {task.problem}; choose from {list(suited)}"
        )
    spec = with_known_categories(table, feature_spec(task, params.exclude))
    check_positive_class(spec, params.positive_class)
    train, test = split_table(typed_table(table, spec), params.test_size, random_state)
    return train, test, spec


def train_dask_lightgbm(
    train: DaskFrame,
    spec: FeatureSpec,
    params: DaskTabularModelling,
    random_state: int,
) -> TrainedLightGBM:
    """Train LightGBM data-parallel over the workers (``lightgbm.dask``).

    Args:
        train: The typed train rows.
        spec: The feature spec they were typed with.
        params: ``modelling_tabular_dask.<task>`` (LightGBM's parameters under ``params``).
        random_state: LightGBM's seed.

    Returns:
        The trained model, in memory, with its spec.
    """
    return fit_lightgbm(train, spec, params.params, random_state, cluster_client())


def evaluate_dask_model(
    model: TrainedLightGBM, test: DaskFrame, params: DaskTabularModelling
) -> dict[str, float]:
    """Score the model on the test rows: predictions on the workers, scikit-learn's metrics.

    Args:
        model: The trained model.
        test: The typed test rows.
        params: ``modelling_tabular_dask.<task>`` (metrics, positive class).

    Returns:
        Metric name → value.
    """
    return evaluate(model, test, params.metrics, params.positive_class)
