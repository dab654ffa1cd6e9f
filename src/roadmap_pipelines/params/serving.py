"""Schema of ``conf/base/parameters_serving.yml``: the prediction service."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from roadmap_pipelines.params.base import StrictModel


class ServingParams(StrictModel):
    """Everything under ``serving:``; the ``HOST`` and ``PORT`` environment variables win."""

    model_config = ConfigDict(title="parameters_serving.yml: serving")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_batch_rows: int = Field(default=1000, ge=1, description="records per predict request")
    max_horizon: int = Field(default=48, ge=1, description="periods per forecast request")
    scoring_threads: int = Field(
        default=1, ge=1, description="requests scored at once (scoring is mostly GIL-bound)"
    )
