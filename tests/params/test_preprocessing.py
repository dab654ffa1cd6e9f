"""The preprocessing parameter models refuse impossible configurations up front."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.params.preprocessing import (
    ColumnSpec,
    ImputeRule,
    PreprocessingParams,
    Split,
    TabularParams,
)

CONF = Path(__file__).resolve().parents[2] / "conf"


@pytest.mark.parametrize("env", ["base", "ames"])
def test_shipped_parameter_files_are_valid(env: str) -> None:
    raw = yaml.safe_load((CONF / env / "parameters_preprocessing.yml").read_text())
    params = PreprocessingParams.model_validate(raw["preprocessing"])
    assert params.tabular.target in params.tabular.columns


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_shipped_parameter_files_have_no_interpolation() -> None:
    # DVC reads these files as plain YAML and cannot resolve ${...}
    paths = sorted(CONF.glob("*/parameters*.yml"))
    assert len(paths) >= 4
    for path in paths:
        values = _strings(yaml.safe_load(path.read_text()))
        assert not [text for text in values if "${" in text], path


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dtype": "string", "min": 0}, "min/max apply to int or float columns"),
        ({"dtype": "int", "allowed": ["a"]}, "allowed applies to string or category"),
        ({"dtype": "float", "date_format": "%Y"}, "date_format applies to datetime"),
        ({"dtype": "int", "min": 5, "max": 1}, "min (5.0) is greater than max (1.0)"),
        ({"dtype": "decimal"}, "'int', 'float', 'string', 'category', 'bool' or 'datetime'"),
    ],
)
def test_column_spec_rejects_checks_that_do_not_fit(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        ColumnSpec.model_validate(spec)


@pytest.mark.parametrize(
    "rule", [{"strategy": "constant"}, {"strategy": "median", "fill_value": 0}]
)
def test_fill_value_goes_with_constant_only(rule: dict) -> None:
    with pytest.raises(ValidationError, match="fill_value is required with strategy 'constant'"):
        ImputeRule.model_validate(rule)


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"strategy": "group", "test_size": 0.2}, "strategy 'group' needs group_column"),
        ({"strategy": "time", "test_size": 0.2}, "strategy 'time' needs time_column"),
        ({"strategy": "random", "test_size": 0}, "greater than 0"),
        ({"strategy": "shuffle", "test_size": 0.2}, "'random', 'stratified', 'group' or 'time'"),
    ],
)
def test_split_rejects_incomplete_strategies(split: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Split.model_validate(split)


def _tabular(**overrides: Any) -> dict:
    config = {
        "dataset": "t",
        "target": "y",
        "columns": {"y": {"dtype": "category"}, "x": {"dtype": "float"}},
        "split": {"strategy": "random", "test_size": 0.2},
    }
    config.update(overrides)
    return config


def test_every_referenced_column_must_be_declared() -> None:
    config = _tabular(
        target="label",
        unique_key=["id"],
        cleaning={"impute": {"z": {"strategy": "median"}}},
    )
    with pytest.raises(ValidationError) as raised:
        TabularParams.model_validate(config)
    message = str(raised.value)
    for reference in ("target: 'label'", "unique_key: 'id'", "cleaning.impute: 'z'"):
        assert reference in message


def test_outlier_rules_need_numeric_columns() -> None:
    config = _tabular(
        cleaning={"outliers": {"y": {"method": "iqr", "threshold": 1.5, "action": "clip"}}}
    )
    with pytest.raises(ValidationError, match=r"needs int or float columns, got \['y'\]"):
        TabularParams.model_validate(config)


def test_errors_name_the_parameters_file() -> None:
    with pytest.raises(ValidationError, match="parameters_preprocessing.yml: preprocessing"):
        TabularParams.model_validate(_tabular(extra_key=1))
