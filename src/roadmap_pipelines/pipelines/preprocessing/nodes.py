"""Nodes that validate, clean and split the tabular input.

Row-wise steps (string normalisation, duplicates, rows missing too much) run before the split.
Every step that learns a statistic (dropped columns, imputation values, outlier bounds) is
fitted on the train split only and then applied to both splits, so no test row leaks into it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.quality_report import QualityStep, quality_report, record
from roadmap_pipelines.ml.data.tabular_cleaning import (
    apply_cleaning_rules,
    check_declared,
    normalise_strings,
)
from roadmap_pipelines.ml.labels import unseen_level_count
from roadmap_pipelines.params.preprocessing import (
    ColumnSpec,
    PreprocessingParams,
    Split,
    TabularParams,
    TabularPreprocessing,
)
from roadmap_pipelines.params.tasks import TaskParams

_COLUMNS_KEY = "parameters_tasks.yml: tasks.<task>.columns"
_GUARD_KEY = "parameters_preprocessing.yml: preprocessing.tabular.<task>.cleaning.max_dropped_share"

logger = logging.getLogger(__name__)


def declare_tabular_task(task: TaskParams, preprocessing: TabularPreprocessing) -> TabularParams:
    """Join the task's declaration with its preprocessing block, for the nodes below.

    Args:
        task: ``tasks.<task>``: the table, target and declared columns.
        preprocessing: ``preprocessing.tabular.<task>``: normalisation, cleaning and split.

    Returns:
        Both in one validated model.
    """
    return TabularParams.combine(task, preprocessing)


def _guard_row_loss(params: TabularParams, rule: str, dropped: int, before: int) -> None:
    """Log how many rows ``rule`` dropped; stop if that exceeds ``max_dropped_share``.

    Raises:
        InputDataError: The rule removed more than the allowed share of the rows.
    """
    logger.info("%s: %s dropped %d of %d row(s)", params.dataset, rule, dropped, before)
    limit = params.cleaning.max_dropped_share
    if before and dropped / before > limit:
        raise InputDataError(
            f"Dataset '{params.dataset}': cleaning rule {rule} would drop {dropped} of {before} "
            f"rows ({dropped / before:.1%}), more than max_dropped_share {limit:g} allows. "
            f"If that is expected (check the rule first), raise {_GUARD_KEY} (1 allows any "
            "loss); for a table whose rows legitimately repeat set cleaning.duplicates: null."
        )


def validate_tabular(
    raw: pd.DataFrame, params: TabularParams
) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Normalise text columns and check the table against its declared schema.

    Args:
        raw: The tabular input as loaded from the catalog.
        params: The task's ``preprocessing.tabular.<task>`` parameters.

    Returns:
        The table with each column in its declared dtype, and the quality steps taken.

    Raises:
        InputDataError: If the table is empty, its target has no value at all, or any column
            fails its declared checks (all failures are listed in one message).
    """
    normalised, steps = normalise_strings(raw, params)
    target = normalised.get(params.target)
    if target is not None and len(raw) and target.isna().all():
        raise InputDataError(
            f"Dataset '{params.dataset}': target column '{params.target}' is missing (or blank) "
            f"in all {len(raw)} rows; there is nothing to learn from."
        )
    validated = check_declared(
        normalised, params, params.columns, _COLUMNS_KEY, unique_key=params.unique_key
    )
    steps.insert(0, record(params.dataset, "input", "rows_in", len(raw)))
    return validated, steps


def clean_rows(data: pd.DataFrame, params: TabularParams) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Drop rows without a target, duplicate rows and rows missing too many values.

    Args:
        data: The validated table.
        params: The task's ``preprocessing.tabular.<task>`` parameters.

    Returns:
        The remaining rows (re-indexed from 0) and the quality steps taken.
    """
    steps = []
    no_target = data[params.target].isna()
    _guard_row_loss(params, "missing_target", int(no_target.sum()), len(data))
    data = data.loc[~no_target]
    steps.append(record(params.dataset, "rows", "missing_target", no_target.sum(), params.target))

    rule = params.cleaning.duplicates
    if rule is not None:
        duplicated = data.duplicated(subset=rule.subset, keep=rule.keep)
        _guard_row_loss(params, "cleaning.duplicates", int(duplicated.sum()), len(data))
        data = data.loc[~duplicated]
        kind = "duplicate_key" if rule.subset else "duplicate_row"
        key = ",".join(rule.subset) if rule.subset else None
        steps.append(record(params.dataset, "rows", kind, duplicated.sum(), key))

    threshold = params.cleaning.drop_rows_missing_over
    if threshold is not None:
        too_sparse = data.isna().mean(axis=1) > threshold
        _guard_row_loss(params, "cleaning.drop_rows_missing_over", int(too_sparse.sum()), len(data))
        data = data.loc[~too_sparse]
        steps.append(record(params.dataset, "rows", "missing_over_threshold", too_sparse.sum()))
    return data.reset_index(drop=True), steps


def _check_split_is_possible(data: pd.DataFrame, params: TabularParams) -> None:
    split = params.split
    n_test = math.ceil(split.test_size * len(data))
    if n_test < 1 or len(data) - n_test < 1:
        raise InputDataError(
            f"Dataset '{params.dataset}': {len(data)} row(s) left after cleaning; a split with "
            f"test_size {split.test_size} needs at least one train and one test row."
        )
    if split.strategy == "stratified":
        counts = data[params.target].value_counts(sort=False)
        counts = counts[counts > 0]
        too_small = counts[counts < 2]
        if len(too_small):
            raise InputDataError(
                f"Dataset '{params.dataset}': target column '{params.target}' has class(es) "
                f"{too_small.to_dict()} with fewer than the 2 rows a stratified split needs "
                "(one for train, one for test). Merge rare classes or use split.strategy random."
            )
        if n_test < len(counts) or len(data) - n_test < len(counts):
            raise InputDataError(
                f"Dataset '{params.dataset}': a stratified split of {len(data)} rows with "
                f"test_size {split.test_size} cannot hold all {len(counts)} classes of "
                f"'{params.target}' in both train and test."
            )
    column = split.group_column if split.strategy == "group" else split.time_column
    if column is not None and data[column].isna().any():
        raise InputDataError(
            f"Dataset '{params.dataset}': split column '{column}' has "
            f"{int(data[column].isna().sum())} missing value(s); every row needs one."
        )
    if split.strategy == "group":
        n_groups = data[split.group_column].nunique()
        n_test_groups = math.ceil(split.test_size * n_groups)
        if n_groups < 2 or n_test_groups >= n_groups:
            raise InputDataError(
                f"Dataset '{params.dataset}': split column '{split.group_column}' has "
                f"{n_groups} group(s); a group split with test_size {split.test_size} puts "
                f"{n_test_groups} of them in test and needs at least one left for train."
            )


def _check_every_class_on_both_sides(
    train: pd.DataFrame, test: pd.DataFrame, params: TabularParams
) -> None:
    target = params.target
    counts = pd.DataFrame(
        {"train": train[target].value_counts(), "test": test[target].value_counts()}
    ).fillna(0)
    counts = counts[(counts["train"] + counts["test"]) > 0]
    missing = counts[(counts["train"] == 0) | (counts["test"] == 0)]
    if len(missing):
        raise InputDataError(
            f"Dataset '{params.dataset}': with test_size {params.split.test_size} the stratified "
            f"split leaves class(es) of '{target}' out of train or test: "
            f"{missing.astype(int).to_dict(orient='index')}. Raise test_size or merge rare classes."
        )


def _test_mask(data: pd.DataFrame, params: TabularParams, random_state: int) -> np.ndarray:
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    split: Split = params.split
    positions = np.arange(len(data))
    if split.strategy == "time":
        # rows sharing the cut-off time all go to test, so no moment is on both sides
        times = data[split.time_column]
        cutoff = times.sort_values(kind="stable").iloc[
            len(data) - math.ceil(split.test_size * len(data))
        ]
        test_positions = positions[(times >= cutoff).to_numpy()]
        if len(test_positions) == len(data):
            raise InputDataError(
                f"Dataset '{params.dataset}': every row has the earliest '{split.time_column}' "
                f"value {cutoff!r} or a later one at the cut; a time split needs rows before it."
            )
    elif split.strategy == "group":
        splitter = GroupShuffleSplit(
            n_splits=1, test_size=split.test_size, random_state=random_state
        )
        _, test_positions = next(splitter.split(positions, groups=data[split.group_column]))
    else:
        stratify = data[params.target] if split.strategy == "stratified" else None
        _, test_positions = train_test_split(
            positions, test_size=split.test_size, random_state=random_state, stratify=stratify
        )
    mask = np.zeros(len(data), dtype=bool)
    mask[test_positions] = True
    return mask


def split_train_test(
    data: pd.DataFrame, params: TabularParams, random_state: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[QualityStep]]:
    """Split the cleaned rows into train and test as ``params.split`` declares.

    Args:
        data: The row-cleaned table.
        params: The task's ``preprocessing.tabular.<task>`` parameters.
        random_state: The project seed.

    Returns:
        Train rows and test rows, each in their original order, and the quality steps.

    Raises:
        InputDataError: If the rows cannot make the requested split (too few rows, a class
            with fewer than two rows, missing group or time values, a single group).
    """
    if isinstance(random_state, bool) or not isinstance(random_state, int):
        raise InputDataError(
            f"Parameter 'random_state' (parameters.yml) must be an integer, got {random_state!r}."
        )
    if not 0 <= random_state < 2**32:
        raise InputDataError(
            f"Parameter 'random_state' (parameters.yml) must lie in [0, 2**32), got {random_state}."
        )
    _check_split_is_possible(data, params)
    test = _test_mask(data, params, random_state)
    train_rows, test_rows = data.loc[~test], data.loc[test]
    if params.split.strategy == "stratified":
        _check_every_class_on_both_sides(train_rows, test_rows, params)
    steps = [
        record(params.dataset, "split", params.split.strategy, len(train_rows), split="train"),
        record(params.dataset, "split", params.split.strategy, len(test_rows), split="test"),
    ]
    # test levels of categorical features the training rows never have: the encoders handle
    # them as documented, the report counts them
    steps += [
        record(
            params.dataset,
            "split",
            "unseen_level",
            unseen_level_count(train_rows[column], test_rows[column]),
            column=column,
            split="test",
        )
        for column, spec in params.columns.items()
        if spec.dtype in ("string", "category")
        and column != params.target
        and column in data.columns
    ]
    return train_rows.reset_index(drop=True), test_rows.reset_index(drop=True), steps


def _json_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _impute_value(train: pd.DataFrame, column: str, spec: ColumnSpec, rule: Any, dataset: str):
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


def fit_cleaning_rules(train: pd.DataFrame, params: TabularParams) -> dict[str, Any]:
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


def clean_train(
    train: pd.DataFrame, rules: dict[str, Any], params: TabularParams
) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Apply the fitted cleaning rules to the train split, dropping outliers where asked.

    Args:
        train: The train split.
        rules: Output of ``fit_cleaning_rules``.
        params: The task's ``preprocessing.tabular.<task>`` parameters.

    Returns:
        The cleaned train split and the quality steps taken.

    Raises:
        InputDataError: If the outlier rules drop every train row.
    """
    cleaned, steps = apply_cleaning_rules(train, rules, params.dataset, "train")
    if cleaned.empty:
        raise InputDataError(
            f"Dataset '{params.dataset}': the outlier rules dropped all {len(train)} train rows; "
            "loosen cleaning.outliers thresholds or use clip or flag."
        )
    _guard_row_loss(params, "cleaning.outliers (drop)", len(train) - len(cleaned), len(train))
    return cleaned, steps


def clean_test(
    test: pd.DataFrame, rules: dict[str, Any], params: TabularParams
) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Apply the train-fitted rules to the test split; test rows are never dropped.

    Args:
        test: The test split.
        rules: Output of ``fit_cleaning_rules``.
        params: The task's ``preprocessing.tabular.<task>`` parameters.

    Returns:
        The cleaned test split and the quality steps taken.
    """
    return apply_cleaning_rules(test, rules, params.dataset, "test")


def build_quality_report(
    params: TabularParams, *step_lists: list[QualityStep]
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Gather every step's counts of one tabular task into its data-quality report.

    Args:
        params: The task's ``preprocessing.tabular.<task>`` parameters, echoed into the report.
        *step_lists: The quality steps of each node.

    Returns:
        The report as a JSON-ready dict (parameters, totals per rule, every step) and the
        same steps as a table.
    """
    return quality_report(params, step_lists)


def build_timeseries_quality_report(
    params: PreprocessingParams, *step_lists: list[QualityStep]
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Gather every step's counts of the time series into their data-quality report.

    Args:
        params: All ``preprocessing`` parameters. The node takes the whole block so that Kedro
            validates the file as one before any node runs (an unknown top-level key, or a
            task block with no task); the report echoes ``timeseries`` only.
        *step_lists: The quality steps of each node.

    Returns:
        The report as a JSON-ready dict and the same steps as a table.
    """
    return quality_report(params.timeseries, step_lists)
