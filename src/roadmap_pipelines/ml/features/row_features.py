"""Row-wise features (date parts, formulas, interactions): one implementation for training,
batch inference and serving. Each row's features depend on that row only, so no fitted state is
needed and computing them on any subset gives the same values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.features.formulas import FormulaError, evaluate, referenced_columns
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

_KEY = "parameters_feature_engineering.yml: feature_engineering.<task>"
_PARTS = {
    "year": lambda dates: dates.dt.year,
    "quarter": lambda dates: dates.dt.quarter,
    "month": lambda dates: dates.dt.month,
    "day": lambda dates: dates.dt.day,
    "dayofweek": lambda dates: dates.dt.day_of_week,
    "dayofyear": lambda dates: dates.dt.day_of_year,
    "hour": lambda dates: dates.dt.hour,
    "is_weekend": lambda dates: (dates.dt.day_of_week >= 5).astype("Int64").mask(dates.isna()),
}


def create_features(
    table: pd.DataFrame, params: FeatureParams, tabular: TaskParams | TabularParams
) -> pd.DataFrame:
    """Add the declared date parts, formulas and interactions to every row.

    These features read one row at a time, so computing them on train and test separately
    gives the same values as computing them before the split: nothing leaks.

    Args:
        table: A split of the cleaned table.
        params: The task's ``feature_engineering.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target and dataset name).

    Returns:
        ``table`` with the new columns appended.

    Raises:
        InputDataError: If a feature reads the target, a missing or wrongly typed column, or
            would overwrite an existing column.
    """
    import pandas as pd

    creation = params.creation
    features = table  # read only: the new columns are concatenated into a new frame
    new: dict[str, pd.Series] = {}
    for column, parts in creation.date_parts.items():
        dates = feature_column(features, column, tabular, f"creation.date_parts.{column}")
        if not pd.api.types.is_datetime64_any_dtype(dates):
            raise InputDataError(
                f"{_KEY}.creation.date_parts.{column}: column '{column}' of "
                f"'{tabular.dataset}' is {dates.dtype}, not datetime"
            )
        for part in parts:
            new[f"{column}_{part}"] = _PARTS[part](dates).astype("Int64")
    for name, formula in creation.formulas.items():
        key = f"creation.formulas.{name}"
        try:
            for column in referenced_columns(formula):
                feature_column(features, column, tabular, key)
            new[name] = evaluate(formula, features)
        except FormulaError as error:
            raise InputDataError(f"{_KEY}.{key}: '{formula}' {error}") from None
    for group in creation.interactions:
        key = f"creation.interactions {group}"
        for column in group:
            feature_column(features, column, tabular, key)
        try:
            product = evaluate(" * ".join(f"`{column}`" for column in group), features)
        except FormulaError as error:
            raise InputDataError(f"{_KEY}.{key}: {error}") from None
        new["_x_".join(group)] = product
    clashes = sorted(set(new) & set(features.columns))
    if clashes:
        raise InputDataError(
            f"{_KEY}.creation: new feature(s) {clashes} would overwrite existing columns of "
            f"'{tabular.dataset}'; rename them"
        )
    return pd.concat([features, pd.DataFrame(new, index=features.index)], axis=1)


def feature_column(
    table: pd.DataFrame, column: str, tabular: TaskParams | TabularParams, key: str
) -> pd.Series:
    """Return ``table[column]`` after checking that it exists and is not the target.

    Args:
        table: The features.
        column: The column a feature setting names.
        tabular: The task's tabular parameters (target and dataset name).
        key: The setting's key under ``feature_engineering.<task>``, for the message.

    Returns:
        The column.

    Raises:
        InputDataError: If ``column`` is the target or missing from ``table``.
    """
    if column == tabular.target:
        raise InputDataError(
            f"{_KEY}.{key}: '{column}' is the target of '{tabular.dataset}'; features built "
            "from the target leak it into the model"
        )
    if column not in table.columns:
        raise InputDataError(
            f"{_KEY}.{key}: column '{column}' is not in '{tabular.dataset}' after cleaning; "
            f"columns: {sorted(map(str, table.columns))}"
        )
    return table[column]


def created_feature_names(params: FeatureParams) -> list[str]:
    """The names of the columns ``create_features`` adds, in the order it adds them.

    Args:
        params: The task's ``feature_engineering.<task>`` parameters.

    Returns:
        Date parts, then formulas, then interactions.
    """
    creation = params.creation
    return (
        [f"{column}_{part}" for column, parts in creation.date_parts.items() for part in parts]
        + list(creation.formulas)
        + ["_x_".join(group) for group in creation.interactions]
    )
