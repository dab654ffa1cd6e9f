"""The target of a tabular task: labels keep their type through training."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from roadmap_pipelines.ml.tabular.targets import split_target
from roadmap_pipelines.params.tasks import TaskParams


def _task(dtype: str) -> TaskParams:
    return TaskParams(
        dataset="toy.tabular_raw",
        target="label",
        problem="classification",
        columns={"label": {"dtype": dtype}, "x": {"dtype": "float"}},
    )


def test_integer_class_labels_stay_integers_through_training_and_prediction() -> None:
    # pandera's ``int`` is pandas' nullable Int64, which scikit-learn would train as floats
    table = pd.DataFrame(
        {
            "label": pd.array([0, 1, 2, 0, 1, 2], dtype="Int64"),
            "x": [0.0, 1.0, 2.0, 0.1, 1.1, 2.1],
        }
    )

    features, target = split_target(table, _task("int"), "classification")
    model = LogisticRegression().fit(features, target)

    assert target.dtype == "int64"
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.classes_.dtype.kind == "i"
    assert model.predict(features).dtype.kind == "i"
    assert list(features.columns) == ["x"]


def test_boolean_labels_stay_booleans() -> None:
    table = pd.DataFrame(
        {"label": pd.array([True, False, True, False], dtype="boolean"), "x": [1.0, 0, 1, 0]}
    )

    _, target = split_target(table, _task("bool"), "classification")

    assert LogisticRegression().fit(table[["x"]], target).classes_.tolist() == [False, True]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series(["a", "b"], dtype="category"), object),
        (pd.Series(["a", "b"]), pd.Series(["a", "b"]).dtype),
        (pd.array([1, None], dtype="Int64"), "Int64"),  # missing labels: left for the checks
    ],
)
def test_other_labels_are_left_as_they_are_or_made_plain_objects(values, expected) -> None:
    table = pd.DataFrame({"label": values, "x": [0.0, 1.0]})

    _, target = split_target(table, _task("string"), "classification")

    assert target.dtype == expected


def test_a_regression_target_is_untouched() -> None:
    table = pd.DataFrame({"label": pd.array([1, 2], dtype="Int64"), "x": [0.0, 1.0]})
    task = _task("int").model_copy(update={"problem": "regression"})

    _, target = split_target(table, task, "regression")

    assert target.dtype == "Int64"
