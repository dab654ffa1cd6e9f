"""Turn declared column specs into a pandera schema and its failures into one readable error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import ColumnSpec

if TYPE_CHECKING:
    import pandas as pd
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

_CHECK_NAMES = {
    "column_in_dataframe": "required column missing",
    "column_in_schema": "column not declared (allow_extra_columns is false)",
}

_UTC_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


def _pandera_column(name: str, spec: ColumnSpec) -> pa.Column:
    import numpy as np
    import pandera.pandas as pa
    from pandera.engines import pandas_engine

    checks = []
    if spec.min is not None:
        checks.append(pa.Check.ge(spec.min))
    if spec.max is not None:
        checks.append(pa.Check.le(spec.max))
    if spec.allowed is not None:
        checks.append(pa.Check.isin(spec.allowed))
    if spec.dtype == "float":
        checks.append(pa.Check(lambda values: ~np.isinf(values), name="finite"))
    dtype: Any
    if spec.dtype == "datetime":
        # pandera's DateTime is a dataclass whose annotations omit this (documented) field
        dtype = pandas_engine.DateTime(to_datetime_kwargs={"format": spec.date_format})  # type: ignore[call-arg]
    else:
        dtype = _PANDAS_DTYPES[spec.dtype]
    return pa.Column(dtype, checks=checks, nullable=spec.nullable, coerce=True, name=name)


def _build_schema(
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


def _uncastable(
    values: pd.Series, column: pa.Column, limit: int | None = _MAX_EXAMPLES
) -> tuple[list, list]:
    """Find the values of ``values`` that do not cast to ``column``'s dtype, one at a time.

    Pandera reports some failed casts (a float 3.5 in an int column, a date in a second
    format) as a single missing value; the user needs to see the value and its row.
    """
    import pandas as pd

    examples, rows = [], []
    for row, value in values.dropna().items():
        try:
            column.dtype.coerce(pd.Series([value]))
        except (TypeError, ValueError):
            examples.append(value)
            rows.append(row)
            if len(rows) == limit:
                break
    return examples, rows


def _without_follow_on_failures(failure_cases: pd.DataFrame) -> pd.DataFrame:
    """Drop the failures a failed dtype coercion causes in that column's other checks."""
    not_coerced = set(
        failure_cases.loc[failure_cases["check"].str.startswith("coerce_dtype"), "column"]
    )
    follow_on = failure_cases["column"].isin(not_coerced) & ~failure_cases["check"].str.startswith(
        "coerce_dtype"
    )
    return failure_cases.loc[~follow_on]


def _describe_failures(
    failure_cases: pd.DataFrame, data: pd.DataFrame, schema: pa.DataFrameSchema
) -> list[str]:
    lines = []
    failures = _without_follow_on_failures(failure_cases.astype({"check": "str"}))
    for check, cases in failures.loc[failures["column"].isna()].groupby("check", sort=True):
        names = cases["failure_case"].tolist()
        lines.append(f"  - {_CHECK_NAMES.get(check, check)}: {names}")
    columns = failures.loc[failures["column"].notna()]
    for (column, check), cases in columns.groupby(["column", "check"], sort=True):
        rows = cases["index"].dropna().head(_MAX_EXAMPLES).tolist()
        examples = cases["failure_case"].drop_duplicates().head(_MAX_EXAMPLES).tolist()
        count = len(cases)
        if check.startswith("coerce_dtype") and not rows:
            examples, rows = _uncastable(data[column], schema.columns[column])
            count = max(count, len(rows))
        detail = f"{count} failure(s), e.g. {examples}"
        if rows:
            detail += f" at rows {rows}"
        lines.append(f"  - column '{column}': {check}: {detail}")
    return lines


def _as_wall_time(
    data: pd.DataFrame, columns: Mapping[str, ColumnSpec], dataset: str
) -> pd.DataFrame:
    """Make time-zone-aware datetime columns naive local time; refuse text with UTC offsets.

    The pipelines work in each series' local wall time: converting to UTC would move
    midnights to the previous day and break daily and monthly grids.
    """
    import pandas as pd

    data = data.copy(deep=False)  # columns are replaced, not written into
    for name, spec in columns.items():
        if spec.dtype != "datetime" or name not in data:
            continue
        values = data[name]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            data[name] = values.dt.tz_localize(None)
        elif pd.api.types.is_string_dtype(values) or values.dtype == object:
            with_offset = values.astype("str").str.strip().str.contains(_UTC_OFFSET, na=False)
            if with_offset.any():
                raise InputDataError(
                    f"Dataset '{dataset}': column '{name}' has timestamps with a UTC offset, "
                    f"e.g. {values[with_offset].head(3).tolist()} at rows "
                    f"{values.index[with_offset][:3].tolist()}; the pipelines work in local "
                    "wall time, so write the times without an offset."
                )
    return data


def validate_table(
    data: pd.DataFrame,
    columns: Mapping[str, ColumnSpec],
    dataset: str,
    params_key: str,
    unique_key: list[str] | None = None,
    allow_extra_columns: bool = True,
) -> pd.DataFrame:
    """Check ``data`` against the declared ``columns``, reporting every failure at once.

    Args:
        data: The loaded input.
        columns: Column name to its declared spec.
        dataset: Catalog name of ``data``, for the message.
        params_key: Parameters key that declares the columns, for the message.
        unique_key: Columns whose combined values must be unique.
        allow_extra_columns: Whether columns that are not declared may be present.

    Returns:
        ``data`` with every column coerced to its declared dtype; datetime columns in local
        wall time.

    Raises:
        InputDataError: Listing each failing column and check, if any fail.
    """
    import pandera.pandas as pa

    if data.empty:
        raise InputDataError(f"Dataset '{dataset}' has no rows; at least one row is needed.")
    data = _as_wall_time(data, columns, dataset)
    schema = _build_schema(columns, unique_key or [], allow_extra_columns)
    try:
        return schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as errors:
        lines = _describe_failures(errors.failure_cases, data, schema)
        raise InputDataError(
            f"Dataset '{dataset}' does not match the schema declared in {params_key} "
            f"({len(lines)} failing check(s)):\n" + "\n".join(lines)
        ) from None


def row_failures(
    data: pd.DataFrame, columns: Mapping[str, ColumnSpec], allow_extra_columns: bool = True
) -> pd.DataFrame | None:
    """Each failing row of ``data`` with its column, check and value, for a rejects table.

    Args:
        data: The rows to check (string-normalised).
        columns: Column name to its declared spec.
        allow_extra_columns: Whether columns that are not declared may be present.

    Returns:
        ``row`` (index label), ``column``, ``check`` and ``value`` per failure, sorted by row;
        ``None`` if the table fails as a whole (a missing or undeclared column), which no
        row can be blamed for.
    """
    import pandas as pd

    schema = _build_schema(columns, [], allow_extra_columns)
    found = [pd.DataFrame(columns=["row", "column", "check", "value"])]
    remaining = data
    # A failed cast hides the column's other checks: set those rows aside and check again,
    # until no cast fails, so every failing check of every row is listed.
    while not remaining.empty:
        failures = _row_failures_once(remaining, schema, columns)
        if failures is None:
            return None
        found.append(failures)
        uncast = failures.loc[failures["check"].str.startswith("coerce_dtype"), "row"].unique()
        if not len(uncast):
            break
        remaining = remaining.drop(index=uncast)
    table = pd.concat(found) if len(found) > 1 else found[0]
    return (
        table.drop_duplicates().sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    )


def _row_failures_once(
    data: pd.DataFrame, schema: pa.DataFrameSchema, columns: Mapping[str, ColumnSpec]
) -> pd.DataFrame | None:
    import pandas as pd
    import pandera.pandas as pa

    try:
        schema.validate(_as_wall_time(data, columns, "batch"), lazy=True)
    except pa.errors.SchemaErrors as errors:
        failures = _without_follow_on_failures(errors.failure_cases.astype({"check": "str"}))
    else:
        return pd.DataFrame(columns=["row", "column", "check", "value"])
    if failures["column"].isna().any():
        return None
    records = []
    for row in failures.itertuples(index=False):
        if pd.isna(row.index):  # pandera names no row for some failed casts: find them
            values, rows = _uncastable(data[row.column], schema.columns[row.column], None)
            records += [(r, row.column, row.check, v) for r, v in zip(rows, values, strict=True)]
        else:
            records.append((row.index, row.column, row.check, row.failure_case))
    table = pd.DataFrame(records, columns=["row", "column", "check", "value"])
    table["value"] = table["value"].astype("str")
    return table
