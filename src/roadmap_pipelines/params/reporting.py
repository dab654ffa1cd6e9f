"""Schema of ``conf/base/parameters_reporting.yml``."""

from typing import Literal

from pydantic import ConfigDict, Field

from roadmap_pipelines.params.base import StrictModel


class ReportingParams(StrictModel):
    """Everything under ``reporting:`` in ``parameters_reporting.yml``."""

    model_config = ConfigDict(title="parameters_reporting.yml: reporting")

    correlation_method: Literal["pearson", "spearman", "kendall"] = "spearman"
    top_categories: int = Field(default=10, ge=1)
    max_series_plotted: int = Field(default=12, ge=1)
