"""Schema of ``conf/base/parameters_monitoring.yml``: drift thresholds and the retrain rule."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from roadmap_pipelines.params.base import StrictModel


class DriftThresholds(StrictModel):
    """When a feature (or the predictions) counts as drifted: both conditions must hold."""

    model_config = ConfigDict(title="parameters_monitoring.yml: monitoring.thresholds")

    psi: float = Field(default=0.2, gt=0, description="population stability index at or above")
    p_value: float = Field(
        default=0.01, gt=0, lt=1, description="KS (numeric) or chi-squared (categorical) below"
    )
    performance_drop: float = Field(
        default=0.1,
        ge=0,
        description="relative worsening of a test metric, on labelled batches, that asks for "
        "retraining",
    )


class MonitoringParams(StrictModel):
    """Everything under ``monitoring:`` in ``parameters_monitoring.yml``."""

    model_config = ConfigDict(title="parameters_monitoring.yml: monitoring")

    bins: int = Field(default=10, ge=2, le=100, description="reference-quantile bins of PSI")
    thresholds: DriftThresholds = DriftThresholds()
    min_drifted_features: int = Field(
        default=1, ge=1, description="drifted features that recommend retraining"
    )
    fail_on_drift: bool = Field(
        default=False, description="stop the run (non-zero exit) when retraining is recommended"
    )
