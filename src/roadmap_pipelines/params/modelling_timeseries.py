"""Schema of ``conf/base/parameters_modelling_timeseries.yml``."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

from roadmap_pipelines.params.base import StrictModel

_FILE = "parameters_modelling_timeseries.yml"

ModelName = Literal["arima", "lightgbm", "naive", "seasonal_naive", "drift"]
MetricName = Literal["mae", "rmse", "mape", "smape", "mase"]
TransformMethod = Literal["none", "log", "boxcox"]
CalendarFeature = Literal["month", "quarter", "day_of_week", "day_of_month", "week_of_year", "hour"]


class BacktestParams(StrictModel):
    """Rolling-origin evaluation: ``folds`` origins ``step`` periods apart."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.backtest")

    folds: PositiveInt = 3
    horizon: PositiveInt = 12
    step: PositiveInt = 12
    min_train_seasons: PositiveInt = Field(
        default=3, description="the first training window holds at least this many seasons"
    )


class StationarityParams(StrictModel):
    """Unit-root tests and STL seasonal strength, which choose ``d`` and ``D``."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.stationarity")

    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    unit_root_test: Literal["kpss", "adf"] = "kpss"
    seasonal_strength_threshold: float = Field(default=0.64, gt=0, lt=1)
    stl_seasonal: int = Field(
        default=11, ge=3, description="STL seasonal smoother length, odd (R's mstl: 11)"
    )
    stl_robust: bool = False

    @field_validator("stl_seasonal")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"must be odd (STL's seasonal smoother length), got {value}")
        return value


class FixedOrders(StrictModel):
    """SARIMA orders given in the configuration instead of searched."""

    model_config = ConfigDict(title=f"{_FILE}: fixed SARIMA orders (modelling_timeseries.arima)")

    order: tuple[NonNegativeInt, NonNegativeInt, NonNegativeInt] = Field(description="[p, d, q]")
    seasonal_order: tuple[NonNegativeInt, NonNegativeInt, NonNegativeInt] = Field(
        default=(0, 0, 0), description="[P, D, Q]; the season length comes from the data"
    )
    constant: bool = False

    @model_validator(mode="after")
    def _constant_needs_few_differences(self) -> FixedOrders:
        differences = self.order[1] + self.seasonal_order[1]
        if self.constant and differences > 1:
            raise ValueError(
                f"constant: true with d + D = {differences}: a constant is a mean (d + D = 0) "
                "or a drift (d + D = 1) and is not identifiable with more differences"
            )
        return self


class TransformParams(StrictModel):
    """Variance-stabilising transform of the series before SARIMA is fitted."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.arima.transform")

    method: TransformMethod = "none"
    boxcox_lambda: float | None = Field(
        default=None, ge=-1, le=2, description="null: Guerrero's method per series"
    )
    series: dict[str, TransformMethod] = Field(
        default_factory=dict, description="per-series method overriding `method`"
    )

    @model_validator(mode="after")
    def _lambda_needs_boxcox(self) -> TransformParams:
        used = {self.method, *self.series.values()}
        if self.boxcox_lambda is not None and "boxcox" not in used:
            raise ValueError(
                f"boxcox_lambda {self.boxcox_lambda} is set but no series uses method boxcox"
            )
        return self


class ArimaParams(StrictModel):
    """SARIMA with orders searched (``method: auto``) or given (``fixed`` / ``series``)."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.arima")

    method: Literal["auto", "fixed"] = "auto"
    fixed: FixedOrders | None = None
    series: dict[str, FixedOrders] = Field(
        default_factory=dict, description="per-series fixed orders, whatever `method` says"
    )
    information_criterion: Literal["aic", "aicc", "bic"] = "aicc"
    stepwise: bool = True
    approximation: bool = True
    refine_top: PositiveInt = 2
    max_p: NonNegativeInt = 5
    max_q: NonNegativeInt = 5
    max_P: NonNegativeInt = 2  # noqa: N815 - R's names for the seasonal orders
    max_Q: NonNegativeInt = 2  # noqa: N815
    max_order: NonNegativeInt = 6
    max_d: NonNegativeInt = 2
    max_D: NonNegativeInt = 1  # noqa: N815
    start_p: NonNegativeInt = 2
    start_q: NonNegativeInt = 2
    start_P: NonNegativeInt = 1  # noqa: N815
    start_Q: NonNegativeInt = 1  # noqa: N815
    max_models: PositiveInt = 94
    allow_constant: bool = True
    maxiter: PositiveInt = 25
    transform: TransformParams = TransformParams()

    @model_validator(mode="after")
    def _consistent(self) -> ArimaParams:
        problems = [
            f"{start} ({getattr(self, start)}) is greater than {limit} ({getattr(self, limit)})"
            for start, limit in (
                ("start_p", "max_p"),
                ("start_q", "max_q"),
                ("start_P", "max_P"),
                ("start_Q", "max_Q"),
            )
            if getattr(self, start) > getattr(self, limit)
        ]
        starts = self.start_p + self.start_q + self.start_P + self.start_Q
        if starts > self.max_order:
            problems.append(
                f"start_p + start_q + start_P + start_Q ({starts}) is greater than "
                f"max_order ({self.max_order})"
            )
        if self.method == "fixed" and self.fixed is None:
            problems.append("method fixed needs the orders in `fixed`")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class LightGBMParams(StrictModel):
    """One global LightGBM model over every series, on lag and calendar features."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.lightgbm")

    lags: list[PositiveInt] = Field(default_factory=lambda: [1, 2, 3])
    seasonal_lags: list[PositiveInt] = Field(
        default_factory=lambda: [1, 2], description="lags in whole seasons"
    )
    calendar_features: list[CalendarFeature] = Field(default_factory=lambda: ["month", "quarter"])
    target: Literal["level", "difference", "seasonal_difference"] = "seasonal_difference"
    n_estimators: PositiveInt = 200
    learning_rate: float = Field(default=0.05, gt=0, le=1)
    num_leaves: int = Field(default=15, ge=2)
    min_child_samples: PositiveInt = 10
    n_jobs: PositiveInt = Field(default=1, description="LightGBM threads")

    @model_validator(mode="after")
    def _has_features(self) -> LightGBMParams:
        for name in ("lags", "seasonal_lags", "calendar_features"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice: {values}")
        if not self.lags and not self.seasonal_lags:
            raise ValueError("lags and seasonal_lags are both empty: the model needs a lag")
        return self


class ModellingTimeseriesParams(StrictModel):
    """Everything under ``modelling_timeseries:`` in ``parameters_modelling_timeseries.yml``."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries")

    models: list[ModelName] = Field(
        default_factory=lambda: ["arima", "lightgbm", "naive", "seasonal_naive", "drift"],
        min_length=1,
    )
    horizon: PositiveInt = 12
    selection_metric: MetricName = "mase"
    n_jobs: int = Field(default=2, description="joblib workers over series; -1: every core")
    chunk_size: PositiveInt | None = None
    backtest: BacktestParams = BacktestParams()
    stationarity: StationarityParams = StationarityParams()
    arima: ArimaParams = ArimaParams()
    lightgbm: LightGBMParams = LightGBMParams()

    @field_validator("models")
    @classmethod
    def _unique_models(cls, models: list[str]) -> list[str]:
        if len(set(models)) != len(models):
            raise ValueError(f"lists a model twice: {models}")
        return models

    @field_validator("n_jobs")
    @classmethod
    def _n_jobs(cls, n_jobs: int) -> int:
        if n_jobs < 1 and n_jobs != -1:
            raise ValueError(
                f"must be a positive number of workers or -1 (every core), got {n_jobs}"
            )
        return n_jobs

    @model_validator(mode="after")
    def _horizons_agree(self) -> ModellingTimeseriesParams:
        if "lightgbm" in self.models and self.horizon > self.backtest.horizon:
            raise ValueError(
                f"horizon ({self.horizon}) is greater than backtest.horizon "
                f"({self.backtest.horizon}): lightgbm's intervals come from its backtest errors "
                "at each step ahead, so the backtest must reach as far as the forecast"
            )
        return self
