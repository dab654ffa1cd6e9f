"""Schema of ``conf/base/parameters_reporting.yml``."""

from typing import Literal

from pydantic import ConfigDict, Field

from roadmap_pipelines.params.base import StrictModel


class ReportingParams(StrictModel):
    """Everything under ``reporting:`` in ``parameters_reporting.yml``."""

    model_config = ConfigDict(title="parameters_reporting.yml: reporting")

    # exploratory data analysis of the train split
    correlation_method: Literal["pearson", "spearman", "kendall"] = "spearman"
    top_categories: int = Field(default=10, ge=1)
    distribution_bins: int = Field(
        default=30, ge=2, description="histogram bins of numeric features and of the target"
    )
    top_features: int = Field(
        default=5, ge=2, description="features most related to the target in the scatter matrix"
    )
    scatter_max_rows: int = Field(
        default=1000, ge=10, description="train rows sampled (seeded) into the scatter matrix"
    )
    # models
    calibration_bins: int = Field(default=10, ge=2, le=100)
    permutation_repeats: int = Field(default=3, ge=1, le=50)
    permutation_max_rows: int = Field(
        default=500, ge=10, description="test rows sampled (seeded) for permutation importance"
    )
    importance_top_features: int = Field(default=20, ge=1, description="bars drawn per panel")
    # time series
    max_series_plotted: int = Field(default=12, ge=1)
    acf_lags: int = Field(default=24, ge=1, description="capped per series at n / 2 - 1")
    stl_robust: bool = True
    # forecasts (from the modelling_timeseries outputs)
    forecast_history_seasons: int = Field(
        default=4, ge=1, description="seasons of actuals drawn before the forecasts"
    )
    forecast_metric: Literal["mae", "rmse", "mape", "smape", "mase"] = "mase"
    baseline_models: list[str] = Field(
        default_factory=lambda: ["naive", "seasonal_naive", "drift"],
        description="models drawn as baselines in the model comparison",
    )
