"""Turn declared column specs into a pandera schema and its failures into one readable error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import ColumnSpec

if TYPE_CHECKING:
    import pandera.pandas as pa

_MAX_EXAMPLES = 5

# Categories are checked as text; the categorical dtype is applied after validation, because
# coercing to a CategoricalDtype would silently turn unknown labels into missing values.
_PANDAS_DTYPES = {
    "int": "Int64",
    "float": "float64",
    "string": "str",
    "category": "str",
    "bool": "boolean",
}


def _pandera_column(name: str, spec: ColumnSpec) -> pa.Column:
    import pandera.pandas as pa
    from pandera.engines import pandas_engine

    checks = []
    if spec.min is not None:
        checks.append(pa.Check.ge(spec.min))
    if spec.max is not None:
        checks.append(pa.Check.le(spec.max))
    if spec.allowed is not None:
        checks.append(pa.Check.isin(spec.allowed))
    if spec.dtype == "datetime":
        dtype = pandas_engine.DateTime(to_datetime_kwargs={"format": spec.date_format})
    else:
        dtype = _PANDAS_DTYPES[spec.dtype]
    return pa.Column(dtype, checks=checks, nullable=spec.nullable, coerce=True, name=name)


def build_schema(
    columns: Mapping[str, ColumnSpec], unique_key: list[str], allow_extra_columns: bool
) -> pa.DataFrameSchema:
    """Build the pandera schema that ``columns`` declare.

    Args:
        columns: Column name to its declared spec.
        unique_key: Columns whose combined values must be unique; empty for none.
        allow_extra_columns: Whether columns that are not declared may be present.

    Returns:
        A schema that coerces each column to its declared dtype while it checks it.
    """
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {name: _pandera_column(name, spec) for name, spec in columns.items()},
        strict=not allow_extra_columns,
        unique=unique_key or None,
        report_duplicates="all",
    )


_CHECK_NAMES = {
    "column_in_dataframe": "required column missing",
    "column_in_schema": "column not declared (allow_extra_columns is false)",
}


def _without_follow_on_failures(failure_cases: pd.DataFrame) -> pd.DataFrame:
    """Drop the failures a failed dtype coercion causes in that column's other checks."""
    not_coerced = set(
        failure_cases.loc[failure_cases["check"].str.startswith("coerce_dtype"), "column"]
    )
    follow_on = failure_cases["column"].isin(not_coerced) & ~failure_cases["check"].str.startswith(
        "coerce_dtype"
    )
    return failure_cases.loc[~follow_on]


def _describe_failures(failure_cases: pd.DataFrame) -> list[str]:
    lines = []
    failures = _without_follow_on_failures(failure_cases.astype({"check": "str"}))
    for check, cases in failures.loc[failures["column"].isna()].groupby("check", sort=True):
        names = cases["failure_case"].tolist()
        lines.append(f"  - {_CHECK_NAMES.get(check, check)}: {names}")
    columns = failures.loc[failures["column"].notna()]
    for (column, check), cases in columns.groupby(["column", "check"], sort=True):
        rows = cases["index"].dropna()
        examples = cases["failure_case"].drop_duplicates().head(_MAX_EXAMPLES).tolist()
        detail = f"{len(cases)} failure(s), e.g. {examples}"
        if len(rows):
            detail += f" at rows {rows.head(_MAX_EXAMPLES).tolist()}"
        lines.append(f"  - column '{column}': {check}: {detail}")
    return lines


def validate_table(
    data: pd.DataFrame, schema: pa.DataFrameSchema, dataset: str, params_key: str
) -> pd.DataFrame:
    """Check ``data`` against ``schema``, reporting every failure at once.

    Args:
        data: The loaded input.
        schema: The schema from ``build_schema``.
        dataset: Catalog name of ``data``, for the message.
        params_key: Parameters key that declares the schema, for the message.

    Returns:
        ``data`` with every column coerced to its declared dtype.

    Raises:
        InputDataError: Listing each failing column and check, if any fail.
    """
    import pandera.pandas as pa

    if data.empty:
        raise InputDataError(f"Dataset '{dataset}' has no rows; at least one row is needed.")
    try:
        return schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as errors:
        lines = _describe_failures(errors.failure_cases)
        raise InputDataError(
            f"Dataset '{dataset}' does not match the schema declared in {params_key} "
            f"({len(lines)} failing check(s)):\n" + "\n".join(lines)
        ) from None
