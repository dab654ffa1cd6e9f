"""Nodes that validate, clean and split the tabular input.

Row-wise steps (string normalisation, duplicates, rows missing too much) run before the split.
Every step that learns a statistic (dropped columns, imputation values, outlier bounds) is
fitted on the train split only and then applied to both splits, so no test row leaks into it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.quality_report import QualityStep, quality_report, record
from roadmap_pipelines.ml.data.splitting import (
    check_every_class_on_both_sides,
    check_split_is_possible,
    held_out_mask,
)
from roadmap_pipelines.ml.data.tabular_cleaning import (
    apply_cleaning_rules,
    check_declared,
    learn_cleaning_rules,
    normalise_strings,
)
from roadmap_pipelines.ml.labels import unseen_level_count
from roadmap_pipelines.params.preprocessing import (
    PreprocessingParams,
    TabularParams,
    TabularPreprocessing,
)
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

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
    # each .loc copies every column: only when rows go
    data = data.loc[~no_target] if no_target.any() else data
    steps.append(record(params.dataset, "rows", "missing_target", no_target.sum(), params.target))

    rule = params.cleaning.duplicates
    if rule is not None:
        duplicated = data.duplicated(subset=rule.subset, keep=rule.keep)
        _guard_row_loss(params, "cleaning.duplicates", int(duplicated.sum()), len(data))
        data = data.loc[~duplicated] if duplicated.any() else data
        kind = "duplicate_key" if rule.subset else "duplicate_row"
        key = ",".join(rule.subset) if rule.subset else None
        steps.append(record(params.dataset, "rows", kind, duplicated.sum(), key))

    threshold = params.cleaning.drop_rows_missing_over
    if threshold is not None:
        too_sparse = data.isna().mean(axis=1) > threshold
        _guard_row_loss(params, "cleaning.drop_rows_missing_over", int(too_sparse.sum()), len(data))
        data = data.loc[~too_sparse] if too_sparse.any() else data
        steps.append(record(params.dataset, "rows", "missing_over_threshold", too_sparse.sum()))
    return data.reset_index(drop=True), steps


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
    check_split_is_possible(data, params)
    test = held_out_mask(data, params, random_state)
    train_rows, test_rows = data.loc[~test], data.loc[test]
    if params.split.strategy == "stratified":
        check_every_class_on_both_sides(train_rows, test_rows, params)
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
    return learn_cleaning_rules(train, params)


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
