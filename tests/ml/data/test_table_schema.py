"""Declared column specs become a pandera schema; every failure is listed in one message."""

from __future__ import annotations

import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.table_schema import validate_table
from roadmap_pipelines.params.preprocessing import ColumnSpec

KEY = "parameters_preprocessing.yml: preprocessing.tabular.columns"


def _validate(data: pd.DataFrame, columns: dict[str, dict], **schema) -> pd.DataFrame:
    specs = {name: ColumnSpec.model_validate(spec) for name, spec in columns.items()}
    return validate_table(
        data, specs, "orders", KEY, allow_extra_columns=schema.get("allow_extra", True)
    )


def test_dates_are_parsed_with_the_declared_format() -> None:
    data = pd.DataFrame({"ordered": ["03/02/2021", "31/12/2020", None]})

    validated = _validate(data, {"ordered": {"dtype": "datetime", "date_format": "%d/%m/%Y"}})

    assert validated["ordered"].tolist()[:2] == [
        pd.Timestamp("2021-02-03"),
        pd.Timestamp("2020-12-31"),
    ]
    assert pd.isna(validated["ordered"].iloc[2])


def test_a_date_in_another_format_is_reported_with_its_row() -> None:
    data = pd.DataFrame({"ordered": ["03/02/2021", "2021-02-04"]})

    with pytest.raises(InputDataError) as raised:
        _validate(data, {"ordered": {"dtype": "datetime", "date_format": "%d/%m/%Y"}})

    message = str(raised.value)
    assert "Dataset 'orders'" in message and KEY in message
    assert "column 'ordered': coerce_dtype" in message and "2021-02-04" in message


def test_booleans_and_strings_take_their_declared_dtypes() -> None:
    data = pd.DataFrame({"paid": [True, False, None], "note": ["a", None, "c"]})

    validated = _validate(data, {"paid": {"dtype": "bool"}, "note": {"dtype": "string"}})

    assert str(validated["paid"].dtype) == "boolean"
    assert validated["paid"].tolist()[:2] == [True, False]
    assert pd.api.types.is_string_dtype(validated["note"])


def test_undeclared_columns_are_refused_when_extra_columns_are_not_allowed() -> None:
    data = pd.DataFrame({"amount": [1.0], "secret": ["x"]})

    with pytest.raises(InputDataError, match=r"column not declared .*\['secret'\]"):
        _validate(data, {"amount": {"dtype": "float"}}, allow_extra=False)


def test_every_failure_is_listed_once_without_follow_on_noise() -> None:
    data = pd.DataFrame({"qty": ["1", "two", "-3"], "size": ["s", "xl", "m"]})
    columns = {
        "qty": {"dtype": "int", "min": 0},
        "size": {"dtype": "category", "allowed": ["s", "m", "l"]},
        "price": {"dtype": "float"},
    }

    with pytest.raises(InputDataError) as raised:
        _validate(data, columns)

    lines = str(raised.value).splitlines()[1:]
    assert lines == [
        "  - required column missing: ['price']",
        "  - column 'qty': coerce_dtype('Int64'): 1 failure(s), e.g. ['two'] at rows [1]",
        "  - column 'size': isin(['s', 'm', 'l']): 1 failure(s), e.g. ['xl'] at rows [1]",
    ]


def test_row_failures_name_each_failing_row_column_and_value() -> None:
    from roadmap_pipelines.ml.data.table_schema import row_failures

    columns = {
        "n": ColumnSpec(dtype="int", min=0, nullable=False),
        "c": ColumnSpec(dtype="category", allowed=["a", "b"]),
    }
    data = pd.DataFrame({"n": [1, -1, "x", None], "c": ["a", "z", "b", "a"]})
    failures = row_failures(data, columns)
    assert failures[["row", "column"]].values.tolist() == [
        [1, "c"],
        [1, "n"],
        [2, "n"],
        [3, "n"],
    ]
    assert failures.loc[failures["row"] == 2, "value"].tolist() == ["x"]
    assert row_failures(data.drop(columns=["c"]), columns) is None  # a missing column
    assert row_failures(data.head(1), columns).empty
