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

ModelName = Literal["arima", "ets", "theta", "lightgbm", "naive", "seasonal_naive", "drift"]
SINGLE_MODELS = ("arima", "ets", "theta", "lightgbm", "naive", "seasonal_naive", "drift")
MetricName = Literal["mae", "rmse", "mape", "smape", "mase"]
TransformMethod = Literal["none", "log", "boxcox"]
CalendarFeature = Literal["month", "quarter", "day_of_week", "day_of_month", "week_of_year", "hour"]
Trend = Literal["none", "additive", "damped"]


class BacktestParams(StrictModel):
    """Rolling-origin evaluation: ``folds`` origins ``step`` periods apart."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.backtest")

    folds: PositiveInt = 3
    horizon: PositiveInt = 12
    step: PositiveInt = 12
    min_train_seasons: PositiveInt = Field(
        default=3, description="the first training window holds at least this many seasons"
    )


class FrequencyBacktestParams(StrictModel):
    """Backtest settings of one frequency; a missing key keeps ``backtest``'s value."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.frequencies.<freq>.backtest")

    folds: PositiveInt | None = None
    horizon: PositiveInt | None = None
    step: PositiveInt | None = None
    min_train_seasons: PositiveInt | None = None


class FrequencyParams(StrictModel):
    """Settings of the series of one frequency; a missing key keeps the default."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.frequencies.<freq>")

    horizon: PositiveInt | None = None
    season_length: PositiveInt | None = Field(
        default=None, description="overrides the season length preprocessing found"
    )
    backtest: FrequencyBacktestParams = FrequencyBacktestParams()


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
    warm_start: bool = Field(
        default=True,
        description="backtest origins after the first start exact fits from the previous "
        "origin's estimates",
    )
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
    calendar_features: list[CalendarFeature] = Field(
        default_factory=lambda: list[CalendarFeature](["month", "quarter"])
    )
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


class EtsParams(StrictModel):
    """Exponential smoothing: ETS(A, trend, seasonal) chosen by information criterion."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.ets")

    trends: list[Trend] = Field(
        default_factory=lambda: list[Trend](["none", "additive", "damped"]), min_length=1
    )
    seasonal: bool = True
    max_season_length: PositiveInt = Field(
        default=24, description="longest season a seasonal component is tried for (R: 24)"
    )
    information_criterion: Literal["aic", "aicc", "bic"] = "aicc"
    initialization: Literal["heuristic", "estimated"] = "heuristic"
    maxiter: PositiveInt = 200
    transform: TransformParams = TransformParams()

    @field_validator("trends")
    @classmethod
    def _unique_trends(cls, trends: list[str]) -> list[str]:
        if len(set(trends)) != len(trends):
            raise ValueError(f"lists a trend twice: {trends}")
        return trends


class ThetaParams(StrictModel):
    """The Theta method (SES with drift, statsmodels' ``ThetaModel``)."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.theta")

    transform: TransformParams = TransformParams()


class SelectionParams(StrictModel):
    """How each series' delivered forecast is chosen from the backtested models."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.selection")

    method: Literal["overall", "combination", "best"] = "combination"
    combine: Literal["mean", "median"] = "mean"
    size: PositiveInt = Field(default=2, description="members: the best `size` candidates")
    max_ratio: float = Field(
        default=1.25, ge=1, description="members score at most this times the best candidate"
    )
    candidates: list[ModelName] = Field(
        default_factory=lambda: list[ModelName](["arima", "ets"]),
        min_length=1,
        description="models that may join the combination; those not in `models` are ignored",
    )


class IntervalParams(StrictModel):
    """How the 80% and 95% intervals of the per-series models and the combination are set."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries.intervals")

    calibration: Literal["backtest", "model"] = Field(
        default="backtest",
        description="backtest: each model's intervals rescaled to the coverage its backtest "
        "forecasts showed (split-conformal); model: the models' own Gaussian intervals",
    )


class SeriesSettings(StrictModel):
    """The settings one series is modelled with (defaults with its frequency's overrides)."""

    horizon: PositiveInt
    folds: PositiveInt
    backtest_horizon: PositiveInt
    step: PositiveInt
    min_train_seasons: PositiveInt
    season_length: PositiveInt | None


class ModellingTimeseriesParams(StrictModel):
    """Everything under ``modelling_timeseries:`` in ``parameters_modelling_timeseries.yml``."""

    model_config = ConfigDict(title=f"{_FILE}: modelling_timeseries")

    models: list[ModelName] = Field(
        default_factory=lambda: list[ModelName](
            ["arima", "ets", "naive", "seasonal_naive", "drift"]
        ),
        min_length=1,
    )
    horizon: PositiveInt = 12
    selection_metric: MetricName = "mase"
    n_jobs: int = Field(default=2, description="joblib workers over series; -1: every core")
    chunk_size: PositiveInt | None = None
    min_series_for_workers: PositiveInt = Field(
        default=8,
        description="fewer series run in this process: worker start-up would cost more",
    )
    backtest: BacktestParams = BacktestParams()
    stationarity: StationarityParams = StationarityParams()
    frequencies: dict[str, FrequencyParams] = Field(
        default_factory=dict,
        description="per pandas frequency (MS, QS, W, D, ...): horizon, season_length, backtest",
    )
    selection: SelectionParams = SelectionParams()
    intervals: IntervalParams = IntervalParams()
    arima: ArimaParams = ArimaParams()
    ets: EtsParams = EtsParams()
    theta: ThetaParams = ThetaParams()
    lightgbm: LightGBMParams = LightGBMParams()

    def settings_for(self, frequency: str) -> SeriesSettings:
        """The settings of a series with pandas frequency ``frequency``.

        ``frequencies`` is looked up by the exact alias (``QS-OCT``), then by its base
        (``QS`` for ``QS-OCT``, ``W`` for ``W-SUN``); keys not given keep the defaults.
        """
        own = self.frequencies.get(frequency) or self.frequencies.get(
            frequency.split("-", maxsplit=1)[0], FrequencyParams()
        )
        backtest = own.backtest
        return SeriesSettings(
            horizon=own.horizon or self.horizon,
            folds=backtest.folds or self.backtest.folds,
            backtest_horizon=backtest.horizon or self.backtest.horizon,
            step=backtest.step or self.backtest.step,
            min_train_seasons=backtest.min_train_seasons or self.backtest.min_train_seasons,
            season_length=own.season_length,
        )

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

    @field_validator("frequencies")
    @classmethod
    def _known_frequencies(cls, frequencies: dict[str, FrequencyParams]) -> dict:
        import pandas as pd

        unknown = []
        for alias in frequencies:
            try:
                pd.tseries.frequencies.to_offset(alias)
            except ValueError:
                unknown.append(alias)
        if unknown:
            raise ValueError(
                f"not pandas frequency aliases: {unknown}; use e.g. MS, QS, W, W-SUN, D, h, YS"
            )
        return frequencies

    @model_validator(mode="after")
    def _horizons_agree(self) -> ModellingTimeseriesParams:
        if "lightgbm" not in self.models:
            return self
        settings = {"(default)": self.settings_for("")}
        settings |= {alias: self.settings_for(alias) for alias in self.frequencies}
        for alias, own in settings.items():
            if own.horizon > own.backtest_horizon:
                raise ValueError(
                    f"frequency {alias}: horizon ({own.horizon}) is greater than the backtest "
                    f"horizon ({own.backtest_horizon}): lightgbm's intervals come from its "
                    "backtest errors at each step ahead, so the backtest must reach as far as "
                    "the forecast"
                )
        return self
