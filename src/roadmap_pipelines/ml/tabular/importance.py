"""Feature importance of a fitted model: permutation importance of its input columns, and the
importances its final estimator exposes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.tabular.metrics import (
    GREATER_IS_BETTER,
    classification_metrics,
    regression_metrics,
)
from roadmap_pipelines.ml.tabular.prediction import predict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def _block_score(
    model: Any,
    metric: str,
    kind: str,
    target: np.ndarray,
    predicted: np.ndarray,
    probabilities: np.ndarray | None,
    positive: Any,
) -> float:
    """``metric`` of one block of predictions, signed so that greater is better."""
    if kind == "regression":
        value = regression_metrics(target, predicted, (metric,))[metric]
    else:
        value = classification_metrics(
            target, predicted, probabilities, list(model.classes_), positive, (metric,)
        )[metric]
    return value if GREATER_IS_BETTER[metric] else -value


def _shuffled_orders(n_rows: int, n_repeats: int, random_state: int) -> list[np.ndarray]:
    """The row order of a column after each repeat, as scikit-learn composes its shuffles (a
    seed drawn from ``random_state``; each column shuffled anew from that seed)."""
    import numpy as np

    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    state = np.random.RandomState(seed)
    shuffling = np.arange(n_rows)
    orders = []
    current = np.arange(n_rows)
    for _ in range(n_repeats):
        state.shuffle(shuffling)
        current = current[shuffling]
        orders.append(current.copy())
    return orders


def _stacked(features: pd.DataFrame, orders: list[np.ndarray]) -> pd.DataFrame:
    """Block 0 is the rows as they are; block ``1 + c * repeats + r`` has column ``c`` in the
    order of repeat ``r``. Each column is gathered with one ``take``, which keeps its dtype."""
    import numpy as np
    import pandas as pd

    n_rows, n_repeats = len(features), len(orders)
    n_blocks = 1 + len(features.columns) * n_repeats
    plain = np.tile(np.arange(n_rows), n_blocks)
    stacked_columns = {}
    for number, name in enumerate(features.columns):
        indexer = plain.copy()
        for repeat, order in enumerate(orders):
            block = 1 + number * n_repeats + repeat
            indexer[block * n_rows : (block + 1) * n_rows] = order
        stacked_columns[name] = features[name].take(indexer).reset_index(drop=True)
    return pd.DataFrame(stacked_columns)


def _score_drops(
    model: Any,
    stacked: pd.DataFrame,
    truth: np.ndarray,
    metric: str,
    kind: str,
    positive: Any,
    n_columns: int,
    n_repeats: int,
) -> np.ndarray:
    """Predict the stacked blocks at once; each permuted block's drop in score from block 0,
    one row per column, one column per repeat."""
    import numpy as np

    n_rows = len(truth)
    # one pass of the feature transforms for both predictions and probabilities
    predicted, probabilities = predict(model, stacked, kind)

    def score(block: int) -> float:
        rows = slice(block * n_rows, (block + 1) * n_rows)
        return _block_score(
            model,
            metric,
            kind,
            truth,
            predicted[rows],
            None if probabilities is None else probabilities[rows],
            positive,
        )

    baseline = score(0)
    return np.array(
        [
            [baseline - score(1 + column * n_repeats + repeat) for repeat in range(n_repeats)]
            for column in range(n_columns)
        ]
    ).reshape(n_columns, n_repeats)


def permutation_importance(
    model: Any,
    features: pd.DataFrame,
    target: pd.Series,
    metric: str,
    kind: str,
    positive: Any,
    n_repeats: int,
    random_state: int,
) -> pd.DataFrame:
    """scikit-learn's ``permutation_importance``, batched: one prediction call for everything.

    It draws the same shuffles as ``sklearn.inspection.permutation_importance`` (a seed drawn
    from ``random_state``; each column shuffled anew from that seed, repeat after repeat), so
    the results are the same, but the permuted copies of the rows are stacked and predicted
    at once: a preprocessing pipeline costs tens of milliseconds per call, whatever the rows.

    Args:
        model: A fitted estimator or pipeline taking ``features``.
        features: The rows to permute, as the model takes them.
        target: Their true target.
        metric: A metric of ``roadmap_pipelines.ml.tabular.metrics``; importance is the drop
            in it (the rise, for a lower-is-better metric).
        kind: ``classification`` or ``regression``.
        positive: The binary positive class, or None.
        n_repeats: Shuffles per column.
        random_state: The seed.

    Returns:
        One row per input column: ``feature``, ``importance`` (mean), ``std`` (population
        standard deviation over repeats, as scikit-learn's), in column order.
    """
    import pandas as pd

    stacked = _stacked(features, _shuffled_orders(len(features), n_repeats, random_state))
    drops = _score_drops(
        model, stacked, target.to_numpy(), metric, kind, positive, len(features.columns), n_repeats
    )
    return pd.DataFrame(
        {
            "feature": list(features.columns),
            "importance": drops.mean(axis=1),
            "std": drops.std(axis=1),
        }
    )


def model_importance(model: Any) -> pd.DataFrame | None:
    """Importances the final estimator exposes, on the features it sees: ``feature_importances_``
    or |coefficients| (averaged over classes). None if it exposes neither.

    Args:
        model: A fitted scikit-learn ``Pipeline`` (anything else has no named final step).

    Returns:
        ``feature``, ``importance``, ``std`` (missing) and ``measure``, or None.
    """
    import numpy as np
    import pandas as pd

    if not hasattr(model, "steps"):
        return None
    estimator = model.steps[-1][1]
    estimator = getattr(estimator, "regressor_", estimator)
    if hasattr(estimator, "feature_importances_"):
        values, source = (
            np.asarray(estimator.feature_importances_, "float64"),
            "feature_importances_",
        )
    elif hasattr(estimator, "coef_"):
        coefficients = np.atleast_2d(np.asarray(estimator.coef_, "float64"))
        values, source = np.abs(coefficients).mean(axis=0), "|coefficient|"
    else:
        return None
    try:
        names = list(model[:-1].get_feature_names_out())
    except (AttributeError, ValueError):
        names = [f"x{i}" for i in range(len(values))]
    if len(names) != len(values):
        return None
    return pd.DataFrame({"feature": names, "importance": values, "std": np.nan, "measure": source})
