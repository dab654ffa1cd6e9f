"""Target label guards: a new label never silently changes the problem."""

from __future__ import annotations

import pytest

from roadmap_pipelines.ml.labels import (
    LabelError,
    check_labels_seen_in_training,
    check_target_labels,
    label_counts,
)

WHERE = "credit.tabular_raw, target 'Status'"


def test_labels_are_counted_most_frequent_first() -> None:
    assert label_counts(["b", "a", "b", None]) == {"b": 2, "a": 1}


def test_an_undeclared_label_stops_with_every_label_and_its_count() -> None:
    target = ["good"] * 5 + ["bad"] * 3 + ["unknown"] * 2
    with pytest.raises(LabelError) as raised:
        check_target_labels(target, ["good", "bad"], "bad", WHERE)
    message = str(raised.value)
    assert WHERE in message
    assert "not declared: 'unknown': 2" in message
    assert "'good': 5, 'bad': 3, 'unknown': 2" in message


def test_positive_class_is_never_silently_dropped_by_a_third_label() -> None:
    target = ["good"] * 5 + ["bad"] * 3 + ["unknown"] * 3
    with pytest.raises(LabelError, match=r"binary task, but the target has 3 labels"):
        check_target_labels(target, None, "bad", WHERE)


def test_a_missing_positive_class_is_refused() -> None:
    with pytest.raises(LabelError, match=r"positive_class 'bad' does not occur"):
        check_target_labels(["good", "fine"], None, "bad", WHERE)


def test_declared_labels_and_a_present_positive_class_pass() -> None:
    check_target_labels(["good", "bad", "bad"], ["good", "bad"], "bad", WHERE)
    check_target_labels(["a", "b", "c"], None, None, WHERE)  # multi-class without positive


def test_a_label_only_in_test_is_named_with_its_count() -> None:
    with pytest.raises(LabelError, match=r"label\(s\) 'rare': 2 occur here but never"):
        check_labels_seen_in_training(["good", "bad"], ["good", "rare", "rare"], "test split")


def test_unseen_levels_are_counted_without_missing_values() -> None:
    import pandas as pd

    from roadmap_pipelines.ml.labels import unseen_level_count

    train = pd.Series(["rent", "owner", None])
    assert unseen_level_count(train, pd.Series(["rent", "priv", "priv", None])) == 2
    assert unseen_level_count(train, pd.Series([], dtype=object)) == 0
