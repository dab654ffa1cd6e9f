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
    TimeSeriesParams,
)
from roadmap_pipelines.params.tasks import TaskParams
from task_config import CONFIGURED_TASKS, task_declarations

CONF = Path(__file__).resolve().parents[2] / "conf"


@pytest.mark.contract
def test_shipped_parameter_file_is_valid_for_every_task() -> None:
    raw = yaml.safe_load((CONF / "base" / "parameters_preprocessing.yml").read_text())
    params = PreprocessingParams.model_validate(raw["preprocessing"])
    assert set(params.tabular) == set(CONFIGURED_TASKS)
    for task, declaration in task_declarations().items():
        assert isinstance(declaration, TaskParams)
        tabular = TabularParams.combine(declaration, params.tabular[task])
        assert tabular.target in tabular.columns
        assert tabular.dataset == f"{task}.tabular_raw"


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_shipped_parameter_files_have_no_interpolation() -> None:
    # DVC reads these files as plain YAML and cannot resolve ${...}
    paths = sorted(CONF.glob("*/parameters*.yml"))
    assert len(paths) >= 3
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
    with pytest.raises(ValidationError, match="cleaning.outliers.y: needs an int or float column"):
        TabularParams.model_validate(config)


def test_errors_name_the_parameters_file() -> None:
    with pytest.raises(
        ValidationError, match="parameters_preprocessing.yml preprocessing.tabular.<task>"
    ):
        TabularParams.model_validate(_tabular(extra_key=1))


def _typed_tabular(**overrides: Any) -> dict:
    columns = {
        "y": {"dtype": "category"},
        "amount": {"dtype": "int", "min": 1},
        "price": {"dtype": "float"},
        "paid": {"dtype": "bool"},
        "home": {"dtype": "category"},
        "when": {"dtype": "datetime"},
        "code": {"dtype": "string"},
    }
    return _tabular(columns=columns, **overrides)


@pytest.mark.parametrize(
    ("column", "rule", "message"),
    [
        ("home", {"strategy": "median"}, "strategy 'median' needs an int or float column"),
        ("paid", {"strategy": "mean"}, "strategy 'mean' needs an int or float column"),
        ("when", {"strategy": "most_frequent"}, "datetime columns cannot be imputed"),
        ("amount", {"strategy": "constant", "fill_value": "none"}, "does not fit a 'int'"),
        ("amount", {"strategy": "constant", "fill_value": 1.5}, "does not fit a 'int'"),
        ("amount", {"strategy": "constant", "fill_value": -999}, "outside the column's [1.0"),
        ("home", {"strategy": "constant", "fill_value": 0}, "fill_value 0 does not fit"),
        ("paid", {"strategy": "constant", "fill_value": 0}, "does not fit a 'bool'"),
        ("price", {"strategy": "constant", "fill_value": True}, "does not fit a 'float'"),
    ],
)
def test_impute_rules_must_fit_their_column(column: str, rule: dict, message: str) -> None:
    config = _typed_tabular(cleaning={"impute": {column: rule}})
    with pytest.raises(ValidationError) as raised:
        TabularParams.model_validate(config)
    assert f"cleaning.impute.{column}" in str(raised.value)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("column", "rule"),
    [
        ("paid", {"strategy": "most_frequent"}),
        ("paid", {"strategy": "constant", "fill_value": False}),
        ("price", {"strategy": "constant", "fill_value": 0}),
        ("code", {"strategy": "constant", "fill_value": "unknown"}),
        ("amount", {"strategy": "median"}),
    ],
)
def test_impute_rules_that_fit_are_accepted(column: str, rule: dict) -> None:
    params = TabularParams.model_validate(_typed_tabular(cleaning={"impute": {column: rule}}))
    assert params.cleaning.impute[column].strategy == rule["strategy"]


def test_time_split_needs_an_ordered_column() -> None:
    split = {"strategy": "time", "test_size": 0.2, "time_column": "code"}
    with pytest.raises(ValidationError, match="split.time_column 'code'.* not 'string'"):
        TabularParams.model_validate(_typed_tabular(split=split))


def test_stratified_split_needs_classes() -> None:
    split = {"strategy": "stratified", "test_size": 0.2}
    with pytest.raises(ValidationError, match="target 'price' is 'float'"):
        TabularParams.model_validate(_typed_tabular(target="price", split=split))


def test_duplicates_on_the_unique_key_is_a_contradiction() -> None:
    config = _typed_tabular(unique_key=["code"], cleaning={"duplicates": {"subset": ["code"]}})
    with pytest.raises(ValidationError, match=r"unique_key \['code'\] must already be unique"):
        TabularParams.model_validate(config)


def test_duplicates_can_be_switched_off() -> None:
    params = TabularParams.model_validate(_typed_tabular(cleaning={"duplicates": None}))
    assert params.cleaning.duplicates is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"frequency": {"uk_gas": "M"}}, "not pandas frequency aliases: {'uk_gas': 'M'}"),
        ({"season_length": {"uk_gas": 0}}, "greater than 0"),
    ],
)
def test_timeseries_frequency_and_season_length_are_checked(overrides: dict, message: str) -> None:
    config = {
        "dataset": "ts",
        "id_column": "id",
        "time_column": "t",
        "value_column": "v",
        **overrides,
    }
    with pytest.raises(ValidationError, match=re.escape(message)):
        TimeSeriesParams.model_validate(config)
