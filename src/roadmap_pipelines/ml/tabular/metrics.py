"""Model metrics, computed by scikit-learn from predictions, for CV folds and the test set alike.

Every metric is reported as its natural value (RMSE, not negated RMSE); ``GREATER_IS_BETTER``
says which way is better when candidates are ranked.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

REGRESSION_METRICS = ("mse", "rmse", "mae", "r2")
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
GREATER_IS_BETTER = {
    "mse": False,
    "rmse": False,
    "mae": False,
    "r2": True,
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "roc_auc": True,
    "log_loss": False,
}


def regression_metrics(
    y_true: Any, y_pred: Any, names: Collection[str] = REGRESSION_METRICS
) -> dict[str, float]:
    """MSE, RMSE, MAE and R² of predictions.

    Args:
        y_true: True values.
        y_pred: Predicted values.
        names: The metrics to compute (permutation importance scores one, many times).

    Returns:
        Metric name → value, for each of ``names``.
    """
    import numpy as np
    from sklearn import metrics

    scores: dict[str, float] = {}
    if {"mse", "rmse"} & set(names):
        mse = metrics.mean_squared_error(y_true, y_pred)
        scores |= {"mse": float(mse), "rmse": float(np.sqrt(mse))}
    if "mae" in names:
        scores["mae"] = float(metrics.mean_absolute_error(y_true, y_pred))
    if "r2" in names:
        scores["r2"] = float(metrics.r2_score(y_true, y_pred))
    return {name: scores[name] for name in REGRESSION_METRICS if name in names}


def classification_metrics(
    y_true: Any,
    y_pred: Any,
    probabilities: np.ndarray | None,
    classes: list[Any],
    positive_class: Any | None,
    names: Collection[str] = CLASSIFICATION_METRICS,
) -> dict[str, float]:
    """Accuracy, precision, recall, F1, ROC-AUC and log loss of predictions.

    Binary problems score the positive class; multiclass problems average over classes
    (macro) and compute ROC-AUC one-vs-rest.

    Args:
        y_true: True labels.
        y_pred: Predicted labels.
        probabilities: Predicted probabilities, one column per class in ``classes`` order, or
            ``None`` for a model without ``predict_proba`` (ROC-AUC and log loss are then NaN).
        classes: The model's classes, in the order of the probability columns.
        positive_class: The class binary metrics score; ignored for multiclass.
        names: The metrics to compute (permutation importance scores one, many times).

    Returns:
        Metric name → value, for each of ``names``.
    """
    import numpy as np
    import pandas as pd
    from sklearn import metrics

    classes = list(classes)
    binary = len(classes) == 2
    # Labels as integer codes in ``classes`` order: scikit-learn sorts and compares object
    # labels (strings) in Python, which on large test sets costs more than the predictions.
    # Labels the model does not know get codes after its classes.
    known = set(classes)
    categories = classes + [
        v for v in pd.unique(np.asarray(y_true, dtype=object)) if v not in known
    ]
    true_codes = pd.Categorical(np.asarray(y_true, dtype=object), categories=categories).codes
    pred_codes = pd.Categorical(np.asarray(y_pred, dtype=object), categories=categories).codes
    averaging = (
        {"average": "binary", "pos_label": classes.index(positive_class)}
        if binary
        else {"average": "macro"}
    )
    scores = dict.fromkeys(("roc_auc", "log_loss"), float("nan"))
    if "accuracy" in names:
        scores["accuracy"] = float(metrics.accuracy_score(true_codes, pred_codes))
    if {"precision", "recall", "f1"} & set(names):
        # one call gives the three scores precision_score, recall_score and f1_score would
        # each compute from the same confusion counts (every search fold scores here)
        precision, recall, f1, _ = metrics.precision_recall_fscore_support(
            true_codes, pred_codes, beta=1.0, zero_division=0.0, **averaging
        )
        scores |= {"precision": float(precision), "recall": float(recall), "f1": float(f1)}
    present = set(np.unique(true_codes).tolist())
    codes = list(range(len(classes)))
    if probabilities is not None and len(present) > 1 and "roc_auc" in names:
        if binary:
            positive = classes.index(positive_class)
            scores["roc_auc"] = float(
                metrics.roc_auc_score(true_codes == positive, probabilities[:, positive])
            )
        elif present == set(codes):
            scores["roc_auc"] = float(
                metrics.roc_auc_score(
                    true_codes, probabilities, multi_class="ovr", average="macro", labels=codes
                )
            )
    if probabilities is not None and len(present) > 1 and "log_loss" in names:
        # codes follow the probability columns, so log_loss reads them in the right order
        # (given labels itself, it assumes the columns are in sorted label order)
        scores["log_loss"] = float(metrics.log_loss(true_codes, probabilities, labels=codes))
    return {name: scores[name] for name in CLASSIFICATION_METRICS if name in names}
