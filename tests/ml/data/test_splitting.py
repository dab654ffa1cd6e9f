"""A stratified split of categorical labels is the split scikit-learn makes of their text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from roadmap_pipelines.ml.data.splitting import _label_ranks, sample_positions


@pytest.mark.parametrize("categories", [["good", "bad"], ["c", "b", "a", "unused"]])
def test_ranks_give_the_split_of_the_labels(categories: list[str]) -> None:
    rng = np.random.default_rng(3)
    present = [c for c in categories if c != "unused"]
    labels = pd.Series(pd.Categorical(rng.choice(present, 500), categories=categories))
    positions = np.arange(len(labels))
    expected = train_test_split(
        positions, test_size=0.25, random_state=7, stratify=labels.astype(str).to_numpy()
    )
    ranked = train_test_split(
        positions, test_size=0.25, random_state=7, stratify=_label_ranks(labels)
    )
    for got, want in zip(ranked, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_ranks_follow_the_sorted_labels_not_the_category_order() -> None:
    labels = pd.Series(pd.Categorical(["good", "bad", "good"], categories=["good", "bad"]))
    np.testing.assert_array_equal(_label_ranks(labels), [1, 0, 1])


def test_other_labels_pass_through() -> None:
    text = pd.Series(["a", "b"])
    assert _label_ranks(text) is text
    missing = pd.Series(pd.Categorical(["a", None]))
    assert _label_ranks(missing) is missing


def test_a_stratified_sample_keeps_each_label_share_and_ranks_give_the_same_rows() -> None:
    labels = pd.Series(["b"] * 60 + ["a"] * 30 + ["c"] * 10)

    plain = sample_positions(labels, 50, stratified=True, random_state=7)
    categorical = sample_positions(labels.astype("category"), 50, stratified=True, random_state=7)

    assert list(plain) == sorted(plain) and len(plain) == 50
    assert labels.iloc[plain].value_counts().to_dict() == {"b": 30, "a": 15, "c": 5}
    np.testing.assert_array_equal(plain, categorical)
    assert list(sample_positions(labels, 50, stratified=True, random_state=8)) != list(plain)
