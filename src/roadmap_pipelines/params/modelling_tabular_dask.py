"""Schema of ``conf/base/parameters_modelling_tabular_dask.yml``: LightGBM trained across a Dask
cluster for the tasks whose table does not fit one machine."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.params.base import StrictModel

FILE = "conf/base/parameters_modelling_tabular_dask.yml"


class DaskTabularModelling(StrictModel):
    """``modelling_tabular_dask.<task>``: the split, LightGBM's parameters and the metrics."""

    model_config = ConfigDict(title="parameters_modelling_tabular_dask.yml: <task>")

    metrics: list[str] = Field(min_length=1)
    positive_class: bool | int | str | None = Field(
        default=None, description="binary classification: the class precision/recall/F1 score"
    )
    test_size: float = Field(default=0.2, gt=0, lt=1, description="share of rows held out")
    exclude: list[str] = Field(
        default_factory=list,
        description="declared columns that are not features (the target and unique_key never are)",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="LightGBM parameters (n_estimators, learning_rate, num_leaves, ...)",
    )

    @model_validator(mode="after")
    def _known_metrics(self) -> DaskTabularModelling:
        known = set(REGRESSION_METRICS) | set(CLASSIFICATION_METRICS)
        unknown = sorted(set(self.metrics) - known)
        if unknown:
            raise ValueError(f"unknown metrics {unknown}; known: {sorted(known)}")
        # the cluster, its threads and the seed are the pipeline's to set
        reserved = sorted({"client", "random_state", "n_jobs"} & set(self.params))
        if reserved:
            raise ValueError(
                f"params may not set {reserved}: the cluster comes from parameters_execution.yml "
                "and the seed from random_state in parameters.yml"
            )
        return self
