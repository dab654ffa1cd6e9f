"""Metrics equal scikit-learn's (and hand-worked values) on fixed predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics
from sklearn.linear_model import RidgeClassifier

from roadmap_pipelines.ml.tabular.metrics import (
    CLASSIFICATION_METRICS,
    GREATER_IS_BETTER,
    REGRESSION_METRICS,
    classification_metrics,
    regression_metrics,
)
from roadmap_pipelines.ml.tabular.prediction import Scoring, score_predictions


def test_every_metric_has_a_direction() -> None:
    assert set(GREATER_IS_BETTER) == set(REGRESSION_METRICS) | set(CLASSIFICATION_METRICS)
    lower_is_better = {name for name, greater in GREATER_IS_BETTER.items() if not greater}
    assert lower_is_better == {"mse", "rmse", "mae", "log_loss"}


def test_regression_metrics_by_hand_and_by_scikit_learn() -> None:
    y_true = np.array([3.0, -0.5, 2.0, 7.0])
    y_pred = np.array([2.5, 0.0, 2.0, 8.0])
    # errors 0.5, -0.5, 0, -1: squared 0.25 + 0.25 + 0 + 1 = 1.5 → MSE 0.375; MAE 2/4 = 0.5
    scores = regression_metrics(y_true, y_pred)

    assert scores["mse"] == pytest.approx(0.375)
    assert scores["rmse"] == pytest.approx(math.sqrt(0.375))
    assert scores["mae"] == pytest.approx(0.5)
    assert scores["mse"] == metrics.mean_squared_error(y_true, y_pred)
    assert scores["rmse"] == pytest.approx(metrics.root_mean_squared_error(y_true, y_pred))
    assert scores["mae"] == metrics.mean_absolute_error(y_true, y_pred)
    assert scores["r2"] == metrics.r2_score(y_true, y_pred)
    assert scores["r2"] == pytest.approx(1 - 1.5 / np.sum((y_true - y_true.mean()) ** 2))
    assert set(scores) == set(REGRESSION_METRICS)
    assert all(type(value) is float for value in scores.values())


BINARY_TRUE = np.array(["bad", "good", "good", "bad", "good", "bad", "good", "good"])
BINARY_PRED = np.array(["bad", "good", "bad", "good", "good", "bad", "good", "bad"])
# probability columns in the model's class order: ["bad", "good"]
P_BAD = np.array([0.9, 0.2, 0.6, 0.4, 0.1, 0.7, 0.3, 0.55])
BINARY_PROBA = np.column_stack([P_BAD, 1 - P_BAD])


def test_binary_metrics_score_a_string_positive_class() -> None:
    scores = classification_metrics(
        BINARY_TRUE, BINARY_PRED, BINARY_PROBA, ["bad", "good"], positive_class="bad"
    )
    # positive "bad": TP 2 (rows 0, 5), FP 2 (rows 2, 7), FN 1 (row 3)
    assert scores["precision"] == pytest.approx(2 / 4)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert scores["accuracy"] == pytest.approx(5 / 8)
    expected = {
        "precision": metrics.precision_score(BINARY_TRUE, BINARY_PRED, pos_label="bad"),
        "recall": metrics.recall_score(BINARY_TRUE, BINARY_PRED, pos_label="bad"),
        "f1": metrics.f1_score(BINARY_TRUE, BINARY_PRED, pos_label="bad"),
        "accuracy": metrics.accuracy_score(BINARY_TRUE, BINARY_PRED),
        "roc_auc": metrics.roc_auc_score(BINARY_TRUE == "bad", P_BAD),
        "log_loss": metrics.log_loss(BINARY_TRUE, BINARY_PROBA, labels=["bad", "good"]),
    }
    assert scores == pytest.approx(expected)
    # the same ROC-AUC as scikit-learn's own handling of string labels ("good" sorts last)
    assert scores["roc_auc"] == pytest.approx(metrics.roc_auc_score(BINARY_TRUE, 1 - P_BAD))
    # pairs (bad, good) where bad scores higher: 0.9 and 0.7 beat all 5, 0.4 beats 3 → 13 of 15
    assert scores["roc_auc"] == pytest.approx(13 / 15)


def test_binary_metrics_follow_the_positive_class_and_the_column_order() -> None:
    as_good = classification_metrics(
        BINARY_TRUE, BINARY_PRED, BINARY_PROBA, ["bad", "good"], positive_class="good"
    )
    assert as_good["precision"] == pytest.approx(
        metrics.precision_score(BINARY_TRUE, BINARY_PRED, pos_label="good")
    )
    assert as_good["recall"] == pytest.approx(3 / 5)
    # ROC-AUC does not depend on which class is positive
    assert as_good["roc_auc"] == pytest.approx(13 / 15)
    # columns given as ["good", "bad"]: the probabilities are read accordingly
    swapped = classification_metrics(
        BINARY_TRUE, BINARY_PRED, BINARY_PROBA[:, ::-1], ["good", "bad"], positive_class="bad"
    )
    assert swapped["roc_auc"] == pytest.approx(13 / 15)
    assert swapped["log_loss"] == pytest.approx(
        metrics.log_loss(BINARY_TRUE, BINARY_PROBA, labels=["bad", "good"])
    )


def test_multiclass_metrics_are_macro_and_one_vs_rest() -> None:
    y_true = np.array(["a", "b", "c", "a", "b", "c", "a", "c"])
    y_pred = np.array(["a", "b", "b", "a", "c", "c", "b", "c"])
    proba = np.array(
        [
            [0.7, 0.2, 0.1],
            [0.1, 0.6, 0.3],
            [0.2, 0.5, 0.3],
            [0.8, 0.1, 0.1],
            [0.2, 0.3, 0.5],
            [0.1, 0.2, 0.7],
            [0.3, 0.4, 0.3],
            [0.1, 0.1, 0.8],
        ]
    )
    classes = ["a", "b", "c"]
    scores = classification_metrics(y_true, y_pred, proba, classes, positive_class=None)

    assert scores["accuracy"] == pytest.approx(5 / 8)
    for name, function in (
        ("precision", metrics.precision_score),
        ("recall", metrics.recall_score),
        ("f1", metrics.f1_score),
    ):
        assert scores[name] == pytest.approx(function(y_true, y_pred, average="macro"))
    # recall per class: a 2/3, b 1/2, c 2/3 → macro 11/18
    assert scores["recall"] == pytest.approx(11 / 18)
    assert scores["roc_auc"] == pytest.approx(
        metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro")
    )
    assert scores["log_loss"] == pytest.approx(metrics.log_loss(y_true, proba))


def test_multiclass_roc_auc_is_nan_when_a_class_is_absent_but_log_loss_is_not() -> None:
    y_true = np.array(["a", "b", "a", "b"])
    proba = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1], [0.3, 0.5, 0.2]])
    scores = classification_metrics(y_true, y_true, proba, ["a", "b", "c"], None)
    assert math.isnan(scores["roc_auc"])
    assert scores["log_loss"] == pytest.approx(
        metrics.log_loss(y_true, proba, labels=["a", "b", "c"])
    )


def test_no_probabilities_give_nan_roc_auc_and_log_loss() -> None:
    scores = classification_metrics(BINARY_TRUE, BINARY_PRED, None, ["bad", "good"], "bad")
    assert math.isnan(scores["roc_auc"]) and math.isnan(scores["log_loss"])
    assert scores["accuracy"] == pytest.approx(5 / 8)


def test_model_without_predict_proba_scores_nan_roc_auc_and_log_loss() -> None:
    x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array(["good", "good", "good", "bad", "bad", "bad"])
    model = RidgeClassifier().fit(x, y)
    assert not hasattr(model, "predict_proba")
    scoring = Scoring("classification", CLASSIFICATION_METRICS, positive_class="bad")

    scores = score_predictions(model, x, y, scoring)

    assert math.isnan(scores["roc_auc"]) and math.isnan(scores["log_loss"])
    assert scores["accuracy"] == metrics.accuracy_score(y, model.predict(x))
    assert scores["recall"] == metrics.recall_score(y, model.predict(x), pos_label="bad")


def test_score_predictions_returns_only_the_requested_metrics_in_order() -> None:
    from sklearn.linear_model import LinearRegression

    x = np.arange(10.0).reshape(-1, 1)
    y = 2 * x.ravel() + 1
    model = LinearRegression().fit(x, y)
    scores = score_predictions(model, x, y, Scoring("regression", ("r2", "mae")))
    assert list(scores) == ["r2", "mae"]
    assert scores["r2"] == pytest.approx(1.0)
    assert scores["mae"] == pytest.approx(0.0, abs=1e-12)


def test_all_predictions_of_one_class_do_not_warn_or_fail() -> None:
    y_true = np.array(["bad", "good", "good"])
    y_pred = np.array(["good", "good", "good"])
    scores = classification_metrics(y_true, y_pred, None, ["bad", "good"], "bad")
    assert scores["precision"] == 0.0  # zero_division=0: no positive predictions
    assert scores["recall"] == 0.0


def test_labels_the_model_does_not_know_score_like_scikit_learn_on_the_labels() -> None:
    # a fold whose model saw three of four classes: "d" is a label of y_true only
    y_true = np.array(["a", "b", "c", "d", "a", "d", "b", "c"])
    y_pred = np.array(["a", "b", "a", "b", "b", "c", "b", "c"])
    scores = classification_metrics(y_true, y_pred, None, ["a", "b", "c"], positive_class=None)
    assert scores["accuracy"] == pytest.approx(metrics.accuracy_score(y_true, y_pred))
    for name, function in (
        ("precision", metrics.precision_score),
        ("recall", metrics.recall_score),
        ("f1", metrics.f1_score),
    ):
        assert scores[name] == pytest.approx(
            function(y_true, y_pred, average="macro", zero_division=0.0)
        )
    # binary model, third label in y_true: an error, as scikit-learn gives on the labels
    with pytest.raises(ValueError, match="Target is multiclass but average='binary'"):
        classification_metrics(y_true[:4], y_pred[:4], None, ["a", "b"], positive_class="a")


def test_large_label_arrays_score_like_scikit_learn() -> None:
    # the speed of this path (integer label codes) is measured by benchmarks/bench_metrics.py
    rng = np.random.default_rng(0)
    y_true = rng.choice(np.array(["good", "bad"], dtype=object), 200_000)
    y_pred = rng.choice(np.array(["good", "bad"], dtype=object), 200_000)
    proba = rng.random((200_000, 1))
    proba = np.hstack([proba, 1 - proba])
    scores = classification_metrics(y_true, y_pred, proba, ["bad", "good"], "bad")
    assert scores["f1"] == pytest.approx(metrics.f1_score(y_true, y_pred, pos_label="bad"))
    assert scores["roc_auc"] == pytest.approx(metrics.roc_auc_score(y_true == "bad", proba[:, 0]))


@pytest.mark.parametrize("names", [("roc_auc",), ("log_loss", "f1"), ("recall",), ("accuracy",)])
def test_classification_metrics_computes_only_the_requested_names_with_the_same_values(
    names: tuple[str, ...],
) -> None:
    full = classification_metrics(
        BINARY_TRUE, BINARY_PRED, BINARY_PROBA, ["bad", "good"], positive_class="bad"
    )
    some = classification_metrics(
        BINARY_TRUE, BINARY_PRED, BINARY_PROBA, ["bad", "good"], "bad", names=names
    )

    assert list(some) == [name for name in CLASSIFICATION_METRICS if name in names]
    assert some == {name: full[name] for name in some}


@pytest.mark.parametrize("names", [("rmse",), ("r2", "mae"), ("mse",)])
def test_regression_metrics_computes_only_the_requested_names_with_the_same_values(
    names: tuple[str, ...],
) -> None:
    y_true, y_pred = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    full = regression_metrics(y_true, y_pred)

    some = regression_metrics(y_true, y_pred, names=names)

    assert list(some) == [name for name in REGRESSION_METRICS if name in names]
    assert some == {name: full[name] for name in some}
