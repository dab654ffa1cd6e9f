"""Train/test splits of a cleaned table: random, stratified, group or time-ordered, and the
checks that the rows can make the split asked for, before it is made."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import Split, TabularParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def check_split_is_possible(data: pd.DataFrame, params: TabularParams) -> None:
    """Check the cleaned rows can make ``params.split`` before any row is assigned.

    Raises:
        InputDataError: Too few rows, a class with fewer than two rows (stratified), missing
            group or time values, or too few groups.
    """
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


def check_every_class_on_both_sides(
    train: pd.DataFrame, test: pd.DataFrame, params: TabularParams
) -> None:
    """Check a stratified split left every class of the target on both sides.

    Raises:
        InputDataError: If a class is only in train or only in test.
    """
    import pandas as pd

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


def held_out_mask(data: pd.DataFrame, params: TabularParams, random_state: int) -> np.ndarray:
    """Which rows ``params.split`` puts in the test split (random, stratified, group or time).

    Raises:
        InputDataError: If a time split would put every row in test.
    """
    import numpy as np
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
        stratify = _label_ranks(data[params.target]) if split.strategy == "stratified" else None
        _, test_positions = train_test_split(
            positions, test_size=split.test_size, random_state=random_state, stratify=stratify
        )
    mask = np.zeros(len(data), dtype=bool)
    mask[test_positions] = True
    return mask


def sample_positions(
    labels: pd.Series, size: int, stratified: bool, random_state: int
) -> np.ndarray:
    """Sorted positions of a seeded sample of ``size`` rows, keeping each label's share
    when ``stratified`` (every label needs at least two rows then).
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    positions, _ = train_test_split(
        np.arange(len(labels)),
        train_size=size,
        stratify=_label_ranks(labels) if stratified else None,
        random_state=random_state,
    )
    return np.sort(positions)


def _label_ranks(labels: pd.Series) -> pd.Series | np.ndarray:
    """Each categorical label's rank among the sorted labels, others as they are.

    Stratified splitting sorts the labels (``np.unique``) and works with their positions;
    handing it the ranks gives the same split without sorting a million strings.
    """
    import numpy as np
    import pandas as pd

    if not isinstance(labels.dtype, pd.CategoricalDtype) or labels.isna().any():
        return labels
    ranks = np.argsort(np.argsort(labels.cat.categories.to_numpy(), kind="stable"))
    return ranks[labels.cat.codes.to_numpy()]
