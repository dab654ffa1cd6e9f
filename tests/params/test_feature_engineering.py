"""The feature-engineering parameter models refuse impossible configurations up front."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.params.feature_engineering import (
    CategoricalGroup,
    Creation,
    FeatureParams,
    Transform,
)
from task_config import CONFIGURED_TASKS, requires_tasks, task_declarations

NO_GROUP = "declare at least one numeric, categorical or text group"
CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
FILE = "parameters_feature_engineering.yml"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return yaml.safe_load((CONF / FILE).read_text())["feature_engineering"]


@pytest.mark.contract
def test_shipped_parameter_file_is_valid_for_every_task(shipped: dict[str, Any]) -> None:
    declarations = task_declarations()

    assert set(shipped) == set(CONFIGURED_TASKS)
    for task in CONFIGURED_TASKS:
        params = FeatureParams.model_validate(shipped[task])
        target = declarations[task].target
        # no group, formula or interaction reads the target (that would leak it)
        assert target not in params.transform.columns
        created = params.creation
        assert all(target not in group for group in created.interactions)
        # every created feature is used by some group
        names = [*created.formulas, *("_x_".join(group) for group in created.interactions)]
        assert set(names) <= set(params.transform.columns), task


@requires_tasks("credit", "ames")
def test_the_shipped_choices(shipped: dict[str, Any]) -> None:
    credit = FeatureParams.model_validate(shipped["credit"])
    ames = FeatureParams.model_validate(shipped["ames"])

    assert credit.creation.formulas["debt_to_income"] == "Debt / Income"
    assert credit.creation.interactions == [["Age", "Seniority"]]
    assert [g.encoder for g in credit.transform.categorical] == ["onehot", "ordinal"]
    assert credit.selection.correlation_threshold == 0.95
    assert ames.transform.numeric[1].polynomial.degree == 2
    assert [g.encoder for g in ames.transform.categorical] == ["target", "onehot", "ordinal"]


def test_defaults() -> None:
    params = FeatureParams.model_validate({"transform": {"numeric": [{"columns": ["a"]}]}})

    assert params.creation == Creation()
    assert params.transform.numeric[0].impute == "median"
    assert params.transform.numeric[0].scaler == "standard"
    assert params.transform.numeric[0].polynomial is None
    assert params.selection.variance_threshold == 0.0
    assert params.selection.correlation_threshold is None
    assert params.selection.mutual_information is None
    assert params.selection.model_importance is None


def test_parameters_are_immutable() -> None:
    params = FeatureParams.model_validate({"transform": {"numeric": [{"columns": ["a"]}]}})
    with pytest.raises(ValidationError, match="frozen"):
        params.transform.numeric[0].scaler = "none"  # type: ignore[misc]


def _credit(shipped: dict[str, Any], change: Any) -> dict[str, Any]:
    config = copy.deepcopy(shipped["credit"])
    change(config)
    return config


BAD = {
    "unknown scaler": (
        lambda c: c["transform"]["numeric"][0].update(scaler="zscore"),
        "transform.numeric.0.scaler",
        "Input should be 'standard', 'minmax', 'robust' or 'none'",
    ),
    "unknown encoder": (
        lambda c: c["transform"]["categorical"][0].update(encoder="binary"),
        "transform.categorical.0.encoder",
        "Input should be 'onehot', 'ordinal' or 'target'",
    ),
    "unknown numeric imputer": (
        lambda c: c["transform"]["numeric"][0].update(impute="mode"),
        "transform.numeric.0.impute",
        "Input should be 'median', 'mean' or 'zero'",
    ),
    "unknown date part": (
        lambda c: c["creation"].update(date_parts={"when": ["week"]}),
        "creation.date_parts.when.0",
        "Input should be 'year', 'quarter', 'month', 'day', 'dayofweek', 'dayofyear', "
        "'hour' or 'is_weekend'",
    ),
    "unknown importance model": (
        lambda c: c["selection"].update(model_importance={"estimator": "xgboost", "k": 3}),
        "selection.model_importance.estimator",
        "Input should be 'lightgbm' or 'l1'",
    ),
    "unknown key": (
        lambda c: c["selection"].update(chi2={"k": 3}),
        "selection.chi2",
        "Extra inputs are not permitted",
    ),
    "unknown key in a group": (
        lambda c: c["transform"]["numeric"][0].update(scale="standard"),
        "transform.numeric.0.scale",
        "Extra inputs are not permitted",
    ),
    "polynomial degree 1": (
        lambda c: c["transform"]["numeric"][0].update(polynomial={"degree": 1}),
        "transform.numeric.0.polynomial.degree",
        "greater than or equal to 2",
    ),
    "k of zero": (
        lambda c: c["selection"].update(mutual_information={"k": 0}),
        "selection.mutual_information.k",
        "greater than 0",
    ),
    "correlation threshold above one": (
        lambda c: c["selection"].update(correlation_threshold=1.5),
        "selection.correlation_threshold",
        "less than or equal to 1",
    ),
    "negative variance threshold": (
        lambda c: c["selection"].update(variance_threshold=-0.1),
        "selection.variance_threshold",
        "greater than or equal to 0",
    ),
    "empty group": (
        lambda c: c["transform"]["numeric"][0].update(columns=[]),
        "transform.numeric.0.columns",
        "at least 1 item",
    ),
}


@requires_tasks("credit")
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_values_name_the_file_the_key_and_the_allowed_values(
    shipped: dict[str, Any], case: str
) -> None:
    change, key, message = BAD[case]

    with pytest.raises(ValidationError) as raised:
        FeatureParams.model_validate(_credit(shipped, change))

    text = str(raised.value)
    assert f"{FILE}: feature_engineering.<task>" in text
    assert key in text
    assert message in text


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (
            {
                "numeric": [{"columns": ["a", "b"]}],
                "categorical": [{"columns": ["b"], "encoder": "onehot"}],
            },
            "columns listed in more than one group: ['b']",
        ),
        (
            {"numeric": [{"columns": ["a"]}, {"columns": ["a"], "scaler": "none"}]},
            "columns listed in more than one group: ['a']",
        ),
        ({}, NO_GROUP),
        ({"numeric": [], "categorical": []}, NO_GROUP),
    ],
)
def test_groups_must_be_disjoint_and_present(transform: dict, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Transform.model_validate(transform)
    assert f"{FILE}: feature_engineering.<task>.transform" in str(raised.value)
    assert message in str(raised.value)


def test_no_transform_at_all_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"transform\n  Field required"):
        FeatureParams.model_validate({"creation": {}})


@pytest.mark.parametrize(
    ("group", "message"),
    [
        (
            {"columns": ["q"], "encoder": "ordinal", "min_frequency": 5},
            "min_frequency applies to the onehot encoder only",
        ),
        (
            {"columns": ["q"], "encoder": "target", "min_frequency": 5},
            "min_frequency applies to the onehot encoder only",
        ),
        (
            {"columns": ["q"], "encoder": "onehot", "categories": {"q": ["lo", "hi"]}},
            "categories apply to the ordinal encoder only",
        ),
        (
            {"columns": ["q", "r"], "encoder": "ordinal", "categories": {"q": ["lo", "hi"]}},
            "categories must give an order for every column of the group ['q', 'r'], got ['q']",
        ),
        (
            {"columns": ["q"], "encoder": "ordinal", "categories": {"q": ["a"], "z": ["b"]}},
            "categories must give an order for every column of the group ['q'], got ['q', 'z']",
        ),
        (
            {"columns": ["q"], "encoder": "onehot", "min_frequency": 0},
            "greater than 0",
        ),
        (
            {"columns": ["q"], "encoder": "onehot", "impute": "median"},
            "Input should be 'most_frequent' or 'constant'",
        ),
    ],
)
def test_categorical_options_must_fit_the_encoder(group: dict, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CategoricalGroup.model_validate(group)
    assert f"{FILE}: feature_engineering.<task>.transform.categorical[]" in str(raised.value)
    assert message in str(raised.value)


def test_a_complete_ordinal_order_is_accepted() -> None:
    group = CategoricalGroup.model_validate(
        {"columns": ["q", "r"], "encoder": "ordinal", "categories": {"r": ["1"], "q": ["a", "b"]}}
    )
    assert group.categories == {"r": ["1"], "q": ["a", "b"]}


@pytest.mark.parametrize("interaction", [["Age"], ["Age", "Age"], []])
def test_interactions_need_two_distinct_columns(interaction: list[str]) -> None:
    with pytest.raises(ValidationError) as raised:
        Creation.model_validate({"interactions": [["Age", "Income"], interaction]})
    assert f"{FILE}: feature_engineering.<task>.creation" in str(raised.value)
    assert re.search(
        r"interactions need at least two distinct columns each, got \[\[", str(raised.value)
    )


def test_formulas_must_be_strings() -> None:
    with pytest.raises(
        ValidationError, match=r"creation.formulas.ratio\n  Input should be a valid string"
    ):
        FeatureParams.model_validate(
            {"creation": {"formulas": {"ratio": 3}}, "transform": {"numeric": [{"columns": ["a"]}]}}
        )
