"""Validate, normalise and clean tabular rows: one implementation for training and scoring.

The preprocessing pipeline calls these functions on its splits; the deployable scorer
(``roadmap_pipelines.ml.tabular.scoring``) calls the same ones on new rows, with the cleaning
rules the training run fitted, so a served row is prepared exactly as a test row was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from roadmap_pipelines.ml.data.quality_report import QualityStep, record
from roadmap_pipelines.ml.data.table_schema import validate_table
from roadmap_pipelines.params.preprocessing import ColumnSpec, TabularParams


def normalise_strings(
    data: pd.DataFrame, params: TabularParams
) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Trim and re-case the text columns ``params.normalise_strings`` lists.

    Args:
        data: The table as loaded.
        params: The task's tabular parameters.

    Returns:
        The normalised copy (blank text becomes missing) and one quality step per column.
    """
    rules = params.normalise_strings
    data = data.copy()
    steps = []
    for column in rules.columns:
        if column not in data:
            continue
        before = data[column]
        if isinstance(before.dtype, pd.CategoricalDtype):
            before = before.astype(object)
        if not (pd.api.types.is_string_dtype(before) or before.dtype == object):
            continue
        text = before.astype("str").where(before.notna())
        after = text.str.strip() if rules.strip else text
        if rules.case != "keep":
            after = getattr(after.str, rules.case)()
        after = after.mask(after == "")
        changed = (text.notna() & ~(after == text).fillna(False)).sum()
        data[column] = after
        steps.append(record(params.dataset, "normalise", "strings", changed, column))
    return data, steps


def as_declared_categories(data: pd.DataFrame, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    """Give each declared category column its categorical dtype (declared levels first).

    Args:
        data: The validated table.
        columns: Column name to its declared spec.

    Returns:
        A copy with category columns as ``pd.Categorical``.
    """
    data = data.copy()
    for name, spec in columns.items():
        if spec.dtype == "category" and name in data:
            categories = spec.allowed or sorted(data[name].dropna().unique())
            data[name] = pd.Categorical(data[name], categories=categories)
    return data


def check_declared(
    normalised: pd.DataFrame,
    params: TabularParams,
    columns: Mapping[str, ColumnSpec],
    params_key: str,
    unique_key: list[str] | None = None,
) -> pd.DataFrame:
    """Check string-normalised rows against ``columns`` and apply the declared dtypes.

    Args:
        normalised: ``normalise_strings`` output.
        params: The task's tabular parameters.
        columns: The column specs to check (training: all; scoring: without the target).
        params_key: Where the columns are declared, for the error message.
        unique_key: Columns whose combined values must be unique.

    Returns:
        The validated rows, category columns as ``pd.Categorical``.

    Raises:
        InputDataError: Listing each failing column and check, if any fail.
    """
    validated = validate_table(
        normalised,
        columns,
        params.dataset,
        params_key,
        unique_key=unique_key,
        allow_extra_columns=params.allow_extra_columns,
    )
    return as_declared_categories(validated, columns)


def apply_cleaning_rules(
    data: pd.DataFrame, rules: dict[str, Any], dataset: str, split: str
) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Apply train-fitted cleaning rules: drop columns, impute, clip/flag/drop outliers.

    Args:
        data: Validated rows.
        rules: ``fit_cleaning_rules`` output (the task's ``cleaning_rules.json``).
        dataset: Catalog name, for the quality steps.
        split: ``train`` drops outlier rows where the rule says drop; any other split keeps
            every row (test rows and scored rows are never dropped).

    Returns:
        The cleaned rows (re-indexed from 0) and the quality steps taken.
    """
    data = data.drop(columns=list(rules["dropped_columns"]), errors="ignore")
    steps = [
        record(dataset, "columns", "missing_over_threshold", len(data.index), column, split)
        for column in rules["dropped_columns"]
    ]
    for column, value in rules["impute"].items():
        missing = data[column].isna()
        series = data[column]
        if isinstance(series.dtype, pd.CategoricalDtype) and value not in series.cat.categories:
            series = series.cat.add_categories([value])
        data[column] = series.fillna(value)
        steps.append(record(dataset, "missing", "impute", missing.sum(), column, split))
    for column, bounds in rules["outliers"].items():
        values = data[column]
        outside = (values < bounds["lower"]) | (values > bounds["upper"])
        outside = outside.fillna(False).astype(bool)
        action = bounds["action"]
        if action == "clip":
            data[column] = values.clip(bounds["lower"], bounds["upper"]).astype(values.dtype)
        elif action == "flag":
            data[f"{column}_outlier"] = outside
        elif split == "train":
            data = data.loc[~outside]
        rule = "kept_in_test" if action == "drop" and split == "test" else action
        steps.append(record(dataset, "outliers", rule, outside.sum(), column, split))
    return data.reset_index(drop=True), steps
