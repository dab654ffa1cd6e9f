"""Guards on a classification target's labels: no silent change of the problem.

Three rows with a new label must not turn a binary task into a three-class one (dropping its
positive class and making ROC-AUC undefined), and a label the model never saw in training
must not reach scikit-learn's scorers as a bare error. These functions take plain values, so
any caller (training, scoring new data, serving) can use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class LabelError(InputDataError):
    """The target's labels are not the ones the task declares or was trained on."""


def label_counts(target: Iterable[Any]) -> dict[Any, int]:
    """How often each non-missing label occurs, most frequent first."""
    import pandas as pd

    counts = pd.Series(list(target), dtype=object).dropna().value_counts(sort=True)
    return {label: int(count) for label, count in counts.items()}


def _show(counts: dict[Any, int]) -> str:
    return ", ".join(f"{label!r}: {count}" for label, count in counts.items())


def check_target_labels(
    target: Iterable[Any],
    declared: Sequence[Any] | None,
    positive_class: Any,
    where: str,
) -> None:
    """Refuse labels outside ``declared``, and a ``positive_class`` a multi-class or
    one-sided target would silently drop.

    Args:
        target: The target values (missing values are ignored).
        declared: The task's classes, or ``None`` if not declared.
        positive_class: The class precision/recall/ROC-AUC score, or ``None``.
        where: Dataset and key named in messages.

    Raises:
        LabelError: Naming every label with its count and what to change.
    """
    counts = label_counts(target)
    if declared is not None:
        unseen = {label: n for label, n in counts.items() if label not in set(declared)}
        if unseen:
            raise LabelError(
                f"{where}: target label(s) not declared: {_show(unseen)} (all labels: "
                f"{_show(counts)}; declared: {list(declared)}). Fix or drop those rows, or "
                "add the labels to the target's `allowed` list if they are real classes"
            )
    if positive_class is None:
        return
    if positive_class not in counts:
        raise LabelError(
            f"{where}: positive_class {positive_class!r} does not occur in the target "
            f"(labels: {_show(counts)}); set positive_class to one of them"
        )
    if len(counts) > 2:
        raise LabelError(
            f"{where}: positive_class {positive_class!r} makes this a binary task, but the "
            f"target has {len(counts)} labels ({_show(counts)}). Drop or fix the rows with new "
            "labels, declare the target's `allowed` classes, or remove positive_class for a "
            "multi-class task"
        )


def check_labels_seen_in_training(
    train_labels: Iterable[Any], target: Iterable[Any], where: str
) -> None:
    """Refuse labels in ``target`` that training never saw (a model cannot predict them).

    Raises:
        LabelError: Naming each such label with its count.
    """
    known = set(label_counts(train_labels))
    new = {label: n for label, n in label_counts(target).items() if label not in known}
    if new:
        raise LabelError(
            f"{where}: label(s) {_show(new)} occur here but never in the training rows "
            f"(training labels: {sorted(known, key=str)}); the model cannot predict them. "
            "Fix those rows, or re-split so every class is in training (stratified split)"
        )


def unseen_level_count(train: pd.Series, other: pd.Series) -> int:
    """How many non-missing values of ``other`` are levels ``train`` never has.

    The feature encoders treat such levels as documented (one-hot: all zeros or the
    "infrequent" column; ordinal: the unknown value); the data-quality report counts them.
    """
    known = set(train.dropna().tolist())
    values = other.dropna()
    return int((~values.isin(known)).sum()) if len(values) else 0


def label_text(value: Any) -> str:
    """A class label as text, whole numbers without a decimal part: probability columns name
    classes as text (``proba_1``), and a model may hold ``1.0`` where the target holds ``1``."""
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def label_texts(values: Iterable[Any]) -> np.ndarray:
    """``label_text`` of each value, as an object array."""
    import numpy as np

    return np.array([label_text(value) for value in values], dtype=object)
