"""Schema of ``conf/base/parameters_inference.yml``: batch scoring of each tabular task."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from roadmap_pipelines.params.base import StrictModel


class InferenceParams(StrictModel):
    """``inference.<task>``: how the task's batch ``<task>.inference_input`` is scored."""

    model_config = ConfigDict(title="parameters_inference.yml: inference.<task>")

    id_column: str | None = Field(
        default=None, description="column identifying a row; null numbers rows by position"
    )
    on_invalid: Literal["fail", "reject"] = Field(
        default="fail",
        description="fail: stop naming rows and columns; reject: score the valid rows and "
        "write the others with their reasons to <task>.inference_rejects",
    )
