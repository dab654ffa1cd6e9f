"""Validate, normalise and clean tabular rows: one implementation for training and scoring.

The preprocessing pipeline calls these functions on its splits (learning the cleaning rules on
the train split only); the deployable scorer (``roadmap_pipelines.ml.tabular.scoring``) calls
the same ones on new rows, with the cleaning rules the training run fitted, so a served row is
prepared exactly as a test row was.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.quality_report import QualityStep, record
from roadmap_pipelines.ml.data.table_schema import validate_table
from roadmap_pipelines.params.preprocessing import ColumnSpec, TabularParams

if TYPE_CHECKING:
    import pandas as pd


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
    import pandas as pd

    rules = params.normalise_strings
    # columns are replaced, never written into: a shallow copy leaves the input as it was
    data = data.copy(deep=False)
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
    import pandas as pd

    data = data.copy(deep=False)  # columns are replaced, not written into
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
    import pandas as pd

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


def _json_value(value: Any) -> Any:
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


def _impute_value(train: pd.DataFrame, column: str, spec: ColumnSpec, rule: Any, dataset: str):
    import numpy as np
    import pandas as pd
    from sklearn.impute import SimpleImputer

    observed = train[[column]]
    if rule.strategy != "constant" and observed[column].notna().sum() == 0:
        raise InputDataError(
            f"Dataset '{dataset}': column '{column}' has no value in the train split, so its "
            f"'{rule.strategy}' imputation has nothing to learn from; use strategy constant."
        )
    if isinstance(observed[column].dtype, pd.CategoricalDtype) or spec.dtype in ("string", "bool"):
        observed = observed.astype(object).where(observed.notna(), np.nan)
    else:
        observed = observed.astype("float64")
    imputer = SimpleImputer(strategy=rule.strategy, fill_value=rule.fill_value)
    value = _json_value(imputer.fit(observed).statistics_[0])
    if spec.dtype == "int" and isinstance(value, float):
        value = round(value)
    return value


def learn_cleaning_rules(train: pd.DataFrame, params: TabularParams) -> dict[str, Any]:
    """Learn, from the train split only, which columns to drop, fill values and outlier bounds.

    Args:
        train: The train split.
        params: The task's ``preprocessing.tabular.<task>`` parameters.

    Returns:
        JSON-ready rules: ``dropped_columns`` (name to missing share), ``impute`` (name to
        fill value) and ``outliers`` (name to lower, upper and action).

    Raises:
        InputDataError: If a statistic cannot be learnt (a column with no train value).
    """
    cleaning = params.cleaning
    missing_share = train.isna().mean()
    dropped = {}
    if cleaning.drop_columns_missing_over is not None:
        over = missing_share[missing_share > cleaning.drop_columns_missing_over]
        dropped = {name: round(float(share), 6) for name, share in over.items()}
        dropped.pop(params.target, None)

    impute = {
        column: _impute_value(train, column, params.columns[column], rule, params.dataset)
        for column, rule in cleaning.impute.items()
        if column not in dropped
    }

    outliers = {}
    for column, rule in cleaning.outliers.items():
        if column in dropped:
            continue
        values = train[column].dropna().astype("float64")
        needed = 2 if rule.method == "zscore" else 1  # a standard deviation needs two values
        if len(values) < needed:
            raise InputDataError(
                f"Dataset '{params.dataset}': column '{column}' has {len(values)} value(s) in "
                f"the train split; '{rule.method}' outlier bounds need at least {needed}."
            )
        if rule.method == "iqr":
            q1, q3 = values.quantile([0.25, 0.75])
            lower, upper = q1 - rule.threshold * (q3 - q1), q3 + rule.threshold * (q3 - q1)
        else:
            lower = values.mean() - rule.threshold * values.std()
            upper = values.mean() + rule.threshold * values.std()
        if params.columns[column].dtype == "int":
            lower, upper = math.ceil(lower), math.floor(upper)
        if not lower < upper:
            raise InputDataError(
                f"Dataset '{params.dataset}': column '{column}' has no spread in the train split "
                f"for the '{rule.method}' rule (bounds [{lower}, {upper}]; most values equal "
                f"{values.mode().iloc[0]}), so it would {rule.action} every other value. Remove "
                f"the rule for '{column}' or use another method."
            )
        outliers[column] = {"lower": float(lower), "upper": float(upper), "action": rule.action}
    return {"dropped_columns": dropped, "impute": impute, "outliers": outliers}
