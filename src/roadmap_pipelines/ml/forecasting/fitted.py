"""The model saved per series in ``ts_models``: its history, fit, and a ``forecast`` method.

Only plain data is kept (numpy arrays, dicts, LightGBM's text dump), so the pickle is
byte-identical across runs and processes and loads without importing lightgbm or
statsmodels; they are imported when ``forecast`` is called.

    >>> models = catalog.load("ts_models")
    >>> models["air_passengers"].forecast(24)   # timestamp, forecast, lower_80 ... upper_95
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.forecasting import baselines
from roadmap_pipelines.ml.forecasting.forecasters import (
    ArimaModel,
    EtsModel,
    Forecast,
    ThetaModel,
    combine_forecasts,
)
from roadmap_pipelines.ml.forecasting.intervals import IntervalScale, rescale
from roadmap_pipelines.ml.forecasting.series import Series

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class FittedModel:
    """The delivered model of one series, refitted on its whole history.

    ``model`` is ``combination`` when the forecast combines ``members`` (by ``combine``).
    """

    series_id: str
    model: str
    frequency: str
    season_length: int
    last_timestamp: str
    history: np.ndarray
    arima: ArimaModel | None = None
    ets: EtsModel | None = None
    theta: ThetaModel | None = None
    lightgbm: Any = None  # global_lightgbm.GlobalModel
    interval_widths: dict[int, list[float]] | None = None  # lightgbm, in MASE-scale units
    members: tuple[str, ...] = ()
    combine: str = "mean"
    interval_scale: IntervalScale | None = None  # backtest calibration (intervals.py)

    def forecast(self, horizon: int) -> pd.DataFrame:
        """Forecast ``horizon`` periods after the history with 80% and 95% intervals.

        Raises:
            ValueError: For LightGBM beyond the backtest horizon its intervals were
                calibrated on.
        """
        import pandas as pd

        if self.model == "combination":
            parts = [self._forecast(name, horizon) for name in self.members]
            result = combine_forecasts(parts, self.combine)
        else:
            result = self._forecast(self.model, horizon)
        result = rescale(result, self.interval_scale)
        future = pd.date_range(
            pd.Timestamp(self.last_timestamp), periods=horizon + 1, freq=self.frequency
        )[1:]
        return pd.DataFrame({"timestamp": future, **result.columns()})

    def _forecast(self, model: str, horizon: int) -> Forecast:
        import numpy as np

        m = self.season_length
        # the refit stores the fitted model (or lightgbm's widths) of every member it forecasts
        if model == "arima":
            assert self.arima is not None
            result = self.arima.forecast(self.history, horizon)
        elif model == "ets":
            assert self.ets is not None
            result = self.ets.forecast(self.history, horizon)
        elif model == "theta":
            assert self.theta is not None
            result = self.theta.forecast(self.history, horizon)
        elif model == "lightgbm":
            from roadmap_pipelines.ml.forecasting.global_lightgbm import (
                conformal_forecast,
                forecast_global,
            )

            assert self.interval_widths is not None
            calibrated = len(self.interval_widths[80])
            if horizon > calibrated:
                raise ValueError(
                    f"lightgbm intervals were calibrated for {calibrated} steps, not {horizon}"
                )
            series = Series(self.series_id, self.timestamps(), self.history, self.frequency, m)
            mean = forecast_global(self.lightgbm, [series], horizon)[self.series_id]
            widths = {level: np.asarray(values) for level, values in self.interval_widths.items()}
            result = conformal_forecast(mean, self.history, m, widths)
        else:
            mean, se, _ = baselines.baseline_forecast(model, self.history, m, horizon)
            result = Forecast.gaussian(mean, se)
        return result

    def timestamps(self) -> pd.DatetimeIndex:
        """The history's timestamps."""
        import pandas as pd

        return pd.date_range(
            end=pd.Timestamp(self.last_timestamp), periods=len(self.history), freq=self.frequency
        )
