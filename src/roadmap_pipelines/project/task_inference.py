"""Read a table well enough to declare it as a task: column types, roles and safe defaults.

Pure functions of a DataFrame (no Kedro, no files), used by ``kedro task add``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Role = Literal["numeric", "category", "identifier", "text", "date", "target"]

# a text column with at most this many distinct values is a category with declared levels
MAX_LEVELS = 30
# at least this share of distinct values (and no repeated-word text) marks an identifier
IDENTIFIER_SHARE = 0.95
# this many words on average marks free text
TEXT_WORDS = 3.0
# an integer target with at most this many values (and few per row) is a class label
MAX_INTEGER_CLASSES = 20
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y")
_ID_NAME = re.compile(r"(^|[^a-z])(id|key|uuid|code)$|^id[^a-z]", re.IGNORECASE)


class TaskInputError(ValueError):
    """The table cannot become a task as asked; the message says what to do."""


@dataclass
class Column:
    """What ``kedro task add`` learned about one column."""

    name: str
    spec: dict[str, Any]
    role: Role
    note: str = ""


@dataclass
class TableProfile:
    """Everything the written blocks are derived from."""

    rows: int
    target: str
    problem: Literal["classification", "regression"]
    columns: dict[str, Column]
    class_counts: dict[str, int] = field(default_factory=dict)
    duplicate_rows: int = 0

    def names(self, role: Role) -> list[str]:
        """Columns of one role, in table order."""
        return [name for name, column in self.columns.items() if column.role == role]


def _words(values: pd.Series) -> float:
    return float(values.astype(str).str.split().str.len().mean()) if len(values) else 0.0


def _date_format(values: pd.Series) -> str | None:
    """The first format every (non-missing) value parses with, if the values look like dates."""
    text = values.astype(str).str.strip()
    if text.empty or not text.str.contains(r"\d[-/.]\d", regex=True).all():
        return None
    for date_format in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        if parsed.notna().all():
            return date_format
    return None


def _numeric_spec(values: pd.Series, integer: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"dtype": "int" if integer else "float"}
    if values.notna().all():
        spec["nullable"] = False
    if len(values.dropna()) and values.min() >= 0:
        spec["min"] = 0
    return spec


def infer_column(name: str, values: pd.Series) -> Column:
    """Declare one (non-target) column and say what role it plays."""
    present = values.dropna()
    nullable = {} if len(present) == len(values) and len(values) else {"nullable": True}
    not_null = {"nullable": False} if not nullable else {}
    if pd.api.types.is_bool_dtype(values):
        return Column(name, {"dtype": "bool", **not_null}, "category")
    if pd.api.types.is_datetime64_any_dtype(values):
        return Column(name, {"dtype": "datetime", **not_null}, "date")
    if pd.api.types.is_numeric_dtype(values):
        integer = pd.api.types.is_integer_dtype(values) or bool(
            len(present)
            and np.all(np.mod(present.to_numpy(dtype=float), 1) == 0)
            and len(present) == len(values)
        )
        spec = _numeric_spec(values, integer)
        if integer and present.is_unique and len(present) > 1 and _ID_NAME.search(name):
            return Column(name, spec, "identifier", "distinct on every row: an identifier")
        return Column(name, spec, "numeric")
    text = present.astype(str).str.strip()
    date_format = _date_format(text)
    if date_format is not None:
        return Column(name, {"dtype": "datetime", "date_format": date_format, **not_null}, "date")
    levels = sorted(text.unique())
    if len(levels) <= MAX_LEVELS and len(levels) <= max(2, len(text) // 2):
        return Column(name, {"dtype": "category", **not_null, "allowed": levels}, "category")
    if _words(text) >= TEXT_WORDS:
        return Column(name, {"dtype": "string", **not_null}, "text", "free text")
    if text.nunique() >= IDENTIFIER_SHARE * len(text):
        return Column(name, {"dtype": "string", **not_null}, "identifier", "an identifier")
    return Column(
        name,
        {"dtype": "category", **not_null},
        "category",
        f"{len(levels)} levels: target-encoded",
    )


def infer_problem(target: pd.Series) -> Literal["classification", "regression"]:
    """Classification for labels (text, booleans, few integer values), else regression."""
    present = target.dropna()
    if not pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present):
        return "classification"
    integral = bool(np.all(np.mod(present.to_numpy(dtype=float), 1) == 0))
    few = present.nunique() <= min(MAX_INTEGER_CLASSES, max(2, len(present) // 10))
    return "classification" if integral and few else "regression"


def _target_column(
    name: str, values: pd.Series, problem: Literal["classification", "regression"]
) -> Column:
    present = values.dropna()
    if problem == "regression":
        if not pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present):
            raise TaskInputError(
                f"target '{name}' is not numeric ({values.dtype}), so it cannot be a regression "
                "target: use --problem classification, or convert it"
            )
        return Column(name, {"dtype": "float", "nullable": False}, "target")
    if pd.api.types.is_integer_dtype(present) or (
        pd.api.types.is_numeric_dtype(present)
        and not pd.api.types.is_bool_dtype(present)
        and bool(np.all(np.mod(present.to_numpy(dtype=float), 1) == 0))
    ):
        return Column(name, {"dtype": "int", "nullable": False}, "target")
    levels = sorted(present.astype(str).str.strip().unique())
    return Column(name, {"dtype": "category", "nullable": False, "allowed": levels}, "target")


def profile_table(
    table: pd.DataFrame, target: str, problem: Literal["classification", "regression"] | None
) -> TableProfile:
    """Declare every column of ``table`` and choose the problem.

    Args:
        table: The raw table as read.
        target: The column to predict.
        problem: ``None`` to infer it from the target.

    Returns:
        The profile the parameter blocks are written from.

    Raises:
        TaskInputError: The target is absent, all missing, or has a single class.
    """
    if target not in table.columns:
        raise TaskInputError(
            f"target '{target}' is not a column of the table; its columns are "
            f"{[str(c) for c in table.columns]}"
        )
    values = table[target]
    if values.isna().all():
        raise TaskInputError(f"target '{target}' is missing on every row: pick another column")
    problem = problem or infer_problem(values)
    present = values.dropna()
    class_counts: dict[str, int] = {}
    if problem == "classification":
        counts = present.astype(str).str.strip().value_counts()
        if len(counts) < 2:
            raise TaskInputError(
                f"target '{target}' has a single class ({counts.index[0]!r}): a classifier "
                "needs at least two; pick another target or --problem regression"
            )
        class_counts = {str(k): int(v) for k, v in counts.items()}
    columns = {str(target): _target_column(str(target), values, problem)}
    for name in table.columns:
        if name != target:
            columns[str(name)] = infer_column(str(name), table[name])
    return TableProfile(
        rows=len(table),
        target=str(target),
        problem=problem,
        columns=columns,
        class_counts=class_counts,
        duplicate_rows=int(table.duplicated().sum()),
    )
