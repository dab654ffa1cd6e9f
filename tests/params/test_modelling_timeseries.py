"""The modelling_timeseries parameter model refuses impossible configurations up front."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

SHIPPED = Path(__file__).resolve().parents[2] / "conf/base/parameters_modelling_timeseries.yml"


def _shipped() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text())["modelling_timeseries"]


def _validate(**changes: Any) -> ModellingTimeseriesParams:
    config = _shipped()
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = config
        for parent in parents:
            target = target[parent]
        target[key] = value
    return ModellingTimeseriesParams.model_validate(config)


def test_shipped_file_is_valid_and_matches_the_defaults_that_matter() -> None:
    params = ModellingTimeseriesParams.model_validate(_shipped())
    assert params.models == ["arima", "ets", "naive", "seasonal_naive", "drift"]
    assert params.models == ModellingTimeseriesParams().models
    assert params.selection_metric == "mase"
    assert params.horizon <= params.backtest.horizon
    assert params.arima.transform.method == "log"


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        (
            {"arima__max_ar": 3},
            ["parameters_modelling_timeseries.yml", "arima.max_ar", "Extra inputs"],
        ),
        (
            {"sampling": 1},
            ["parameters_modelling_timeseries.yml: modelling_timeseries", "sampling"],
        ),
        ({"backtest__folds": 0}, ["backtest", "folds", "greater than 0"]),
        ({"stationarity__alpha": 0.7}, ["stationarity", "alpha", "less than 0.5"]),
        ({"stationarity__stl_seasonal": 8}, ["stl_seasonal", "must be odd"]),
        (
            {"selection_metric": "r2"},
            ["selection_metric", "'mae', 'rmse', 'mape', 'smape' or 'mase'"],
        ),
        ({"models": ["arima", "prophet"]}, ["models.1", "'arima', 'ets', 'theta', 'lightgbm'"]),
        ({"models": []}, ["models", "at least 1 item"]),
        ({"models": ["naive", "naive"]}, ["lists a model twice"]),
        ({"n_jobs": 0}, ["n_jobs", "positive number of workers or -1"]),
        (
            {"arima__information_criterion": "hqic"},
            ["information_criterion", "'aic', 'aicc' or 'bic'"],
        ),
        ({"arima__transform__method": "sqrt"}, ["transform.method", "'none', 'log' or 'boxcox'"]),
        ({"lightgbm__calendar_features": ["month", "season"]}, ["calendar_features.1", "'month'"]),
    ],
)
def test_unknown_keys_and_impossible_values_are_refused(changes: dict, fragments: list) -> None:
    with pytest.raises(ValidationError) as raised:
        _validate(**changes)
    for fragment in fragments:
        assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arima__start_p": 3, "arima__max_p": 2}, "start_p (3) is greater than max_p (2)"),
        (
            {"arima__max_order": 4},
            "start_p + start_q + start_P + start_Q (6) is greater than max_order (4)",
        ),
        ({"arima__method": "fixed"}, "method fixed needs the orders in `fixed`"),
        (
            {
                "arima__series": {
                    "uk_gas": {"order": [0, 1, 1], "seasonal_order": [0, 1, 1], "constant": True}
                }
            },
            "constant: true with d + D = 2",
        ),
        (
            {"arima__transform__boxcox_lambda": 0.3},
            "boxcox_lambda 0.3 is set but no series uses method boxcox",
        ),
        (
            {"horizon": 24, "models": ["arima", "lightgbm"]},
            "horizon (24) is greater than the backtest horizon (12)",
        ),
        ({"lightgbm__lags": [], "lightgbm__seasonal_lags": []}, "the model needs a lag"),
        ({"lightgbm__lags": [1, 1]}, "lags lists a value twice"),
    ],
)
def test_contradictions_between_keys_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        _validate(**changes)


def test_a_long_horizon_is_fine_without_lightgbm() -> None:
    params = _validate(horizon=24, models=["arima", "naive"])
    assert params.horizon == 24


def test_fixed_orders_are_read_as_given() -> None:
    params = _validate(
        arima__method="fixed",
        arima__fixed={"order": [0, 1, 1], "seasonal_order": [0, 1, 1]},
        arima__transform__method="boxcox",
        arima__transform__boxcox_lambda=0.0,
    )
    assert params.arima.fixed.order == (0, 1, 1)
    assert params.arima.fixed.constant is False
    assert params.arima.transform.boxcox_lambda == 0.0
