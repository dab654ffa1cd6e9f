"""Reports on a task's model evaluated on the test split: ROC, precision-recall and
calibration points, residuals and the confusion matrix, as tables DVC plots and the figures read.

Plot data tables are rounded to 6 decimals and sorted, so reruns give byte-identical files. A
table that does not apply to the task's problem (ROC points of a regression) is written with its
header only: DVC skips an empty plot, and every task keeps the same outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.labels import label_text, label_texts
from roadmap_pipelines.ml.reports.figures import rounded
from roadmap_pipelines.ml.tabular.curves import class_curves, macro_average
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

# ``class``: the scored class (binary: the positive class; multiclass: each class one-vs-rest,
# then MACRO for the macro average over classes)
ROC_COLUMNS = ["class", "fpr", "tpr"]
PR_COLUMNS = ["class", "recall", "precision"]
CALIBRATION_COLUMNS = ["class", "mean_predicted", "observed_fraction", "rows"]
MACRO = "macro average"
RESIDUAL_COLUMNS = ["predicted", "residual"]


def _probability_columns(predictions: pd.DataFrame) -> dict[str, str]:
    return {
        label_text(column.removeprefix("proba_")): column
        for column in predictions.columns
        if column.startswith("proba_")
    }


def classification_curves(
    predictions: pd.DataFrame,
    test_metrics: dict[str, Any],
    problem: str,
    params: ReportingParams,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ROC, precision-recall and calibration curves of the test predictions.

    A binary problem scores its positive class (``test_metrics["positive_class"]``); a
    multiclass one has a curve per class (one-vs-rest) and their macro average (``class``
    ``macro average``: ROC true-positive rates and PR precisions averaged on a common grid,
    calibration per bin over the classes). Regression tasks and models without probabilities
    get the tables' headers only.

    Args:
        predictions: ``<task>.test_predictions`` (``actual``, ``predicted``, ``proba_<class>``).
        test_metrics: ``<task>.test_metrics``.
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters (``calibration_bins``).

    Returns:
        Per ``class``: ``fpr``/``tpr`` as scikit-learn's ``roc_curve`` (intermediate points
        dropped); ``recall``/``precision`` as ``precision_recall_curve``, by increasing
        recall; ``mean_predicted``/``observed_fraction``/``rows`` of each non-empty one of
        ``calibration_bins`` equal-width bins, as ``calibration_curve``. Rounded to 6 decimals.
    """
    import pandas as pd

    empty = (
        pd.DataFrame(columns=ROC_COLUMNS),
        pd.DataFrame(columns=PR_COLUMNS),
        pd.DataFrame(columns=CALIBRATION_COLUMNS),
    )
    if problem_kind(problem) != "classification":
        return empty
    columns = _probability_columns(predictions)
    if not columns:
        return empty
    actual = label_texts(predictions["actual"])
    positive = test_metrics.get("positive_class")
    if positive is not None and label_text(positive) in columns:
        scored = [label_text(positive)]
    else:
        scored = [label for label in sorted(columns) if 0 < (actual == label).sum() < len(actual)]
    if not scored:
        return empty
    tables: list[list[pd.DataFrame]] = [[], [], []]
    for label in scored:
        truth = actual == label
        scores = predictions[columns[label]].to_numpy("float64")
        for table, curve in zip(
            tables, class_curves(truth, scores, params.calibration_bins), strict=True
        ):
            table.append(curve.assign(**{"class": label}))
    if len(scored) > 1:
        for table, curve in zip(tables, macro_average(tables), strict=True):
            table.append(curve.assign(**{"class": MACRO}))
    return tuple(
        pd.concat(table, ignore_index=True)[names]
        for table, names in zip(tables, (ROC_COLUMNS, PR_COLUMNS, CALIBRATION_COLUMNS), strict=True)
    )


def residual_points(predictions: pd.DataFrame, problem: str) -> pd.DataFrame:
    """Residual (actual − predicted) of every test row, by increasing prediction.

    Args:
        predictions: ``<task>.test_predictions``.
        problem: The task's ``tasks.<task>.problem``.

    Returns:
        ``predicted`` and ``residual`` rounded to 6 decimals; the header only for classifiers.
    """
    import pandas as pd

    if problem_kind(problem) != "regression":
        return pd.DataFrame(columns=RESIDUAL_COLUMNS)
    predicted = predictions["predicted"].to_numpy("float64")
    residual = predictions["actual"].to_numpy("float64") - predicted
    table = pd.DataFrame({"predicted": rounded(predicted), "residual": rounded(residual)})
    return table.sort_values(["predicted", "residual"], kind="stable").reset_index(drop=True)


def confusion_counts(predictions: pd.DataFrame) -> pd.DataFrame:
    """Test rows by actual (index) and predicted (columns) class, classes in sorted order."""
    import pandas as pd

    columns = _probability_columns(predictions)
    actual = pd.Series(label_texts(predictions["actual"]), name="actual")
    predicted = pd.Series(label_texts(predictions["predicted"]), name="predicted")
    classes = sorted(set(columns) | set(actual) | set(predicted))
    table = pd.crosstab(actual, predicted).reindex(index=classes, columns=classes, fill_value=0)
    return table.rename_axis(index="actual", columns="predicted").astype(int)
