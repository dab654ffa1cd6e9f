"""The reporting parameter model takes the shipped file and refuses impossible values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.params.reporting import ReportingParams

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def shipped() -> dict:
    return yaml.safe_load((CONF / "parameters_reporting.yml").read_text())["reporting"]


def test_shipped_file_sets_every_key_and_is_valid() -> None:
    values = shipped()

    params = ReportingParams.model_validate(values)

    # every option is written down in the file, so DVC tracks and `dvc exp run -S` finds it
    assert set(values) == set(ReportingParams.model_fields)
    assert params.baseline_models == ["naive", "seasonal_naive", "drift"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("distribution_bins", 1, "greater than or equal to 2"),
        ("calibration_bins", 0, "greater than or equal to 2"),
        ("permutation_repeats", 0, "greater than or equal to 1"),
        ("top_features", 1, "greater than or equal to 2"),
        ("forecast_metric", "r2", "'mae', 'rmse', 'mape', 'smape' or 'mase'"),
        ("stl_robust", "sometimes", "valid boolean"),
        ("top_feature", 5, "Extra inputs are not permitted"),
    ],
)
def test_impossible_values_are_refused_with_file_and_key(
    key: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        ReportingParams.model_validate(shipped() | {key: value})

    text = str(error.value)
    assert "parameters_reporting.yml: reporting" in text
    assert key in text and message in text
