"""Evaluation curves of a classifier's scores for one class (ROC, precision-recall,
calibration) and their macro average over the classes of a multiclass problem.

Points are rounded to ``DIGITS`` decimals so that reruns give byte-identical plot data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from roadmap_pipelines.ml.reports.figures import rounded

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# ROC, precision-recall, calibration
Curves: TypeAlias = "tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]"


def class_curves(truth: np.ndarray, scores: np.ndarray, bins: int) -> Curves:
    """ROC, precision-recall and calibration points of one class's scores.

    Args:
        truth: Whether each row belongs to the class.
        scores: The model's probability of the class for each row.
        bins: Equal-width calibration bins over [0, 1].

    Returns:
        ``fpr``/``tpr`` as scikit-learn's ``roc_curve`` (intermediate points dropped);
        ``recall``/``precision`` as ``precision_recall_curve``, by increasing recall;
        ``bin``/``mean_predicted``/``observed_fraction``/``rows`` of each non-empty bin.
    """
    import numpy as np
    import pandas as pd
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(truth, scores)
    precision, recall, _ = precision_recall_curve(truth, scores, drop_intermediate=True)
    order = np.arange(len(recall))[::-1]  # scikit-learn lists recall from 1 down to 0
    roc = pd.DataFrame({"fpr": rounded(fpr), "tpr": rounded(tpr)})
    pr = pd.DataFrame({"recall": rounded(recall[order]), "precision": rounded(precision[order])})
    return roc, pr, calibration_bins(truth, scores, bins)


def macro_average(tables: list[list[pd.DataFrame]]) -> Curves:
    """The macro average of per-class curves: ROC and PR on the union of their x values (as
    scikit-learn's macro ROC example), calibration per bin weighting classes equally.

    Args:
        tables: The classes' ROC tables, PR tables and calibration tables (``class_curves``).

    Returns:
        The averaged ROC (from (0, 0) to (1, 1)), precision-recall and calibration tables.
    """
    import numpy as np
    import pandas as pd

    rocs, prs, calibrations = tables
    grid = np.unique(np.concatenate([roc["fpr"].to_numpy() for roc in rocs]))
    tpr = np.mean([_tpr_at(grid, roc) for roc in rocs], axis=0)
    # every ROC curve starts at (0, 0), the threshold above all scores; at fpr 0 the average
    # then rises to the mean of the classes' true-positive rates there
    grid, tpr = np.r_[0.0, grid], np.r_[0.0, tpr]
    recall = np.unique(np.concatenate([pr["recall"].to_numpy() for pr in prs]))
    # precision is a step function of recall: take each class's value at or after each recall
    precision = np.mean(
        [
            pr["precision"].to_numpy()[
                np.minimum(np.searchsorted(pr["recall"].to_numpy(), recall), len(pr) - 1)
            ]
            for pr in prs
        ],
        axis=0,
    )
    per_bin = pd.concat(calibrations, ignore_index=True).groupby("bin", sort=True)
    calibration = pd.DataFrame(
        {
            "mean_predicted": rounded(per_bin["mean_predicted"].mean().to_numpy()),
            "observed_fraction": rounded(per_bin["observed_fraction"].mean().to_numpy()),
            "rows": per_bin["rows"].sum().to_numpy().astype(int),
        }
    )
    return (
        pd.DataFrame({"fpr": rounded(grid), "tpr": rounded(tpr)}),
        pd.DataFrame({"recall": rounded(recall), "precision": rounded(precision)}),
        calibration,
    )


def _tpr_at(grid: np.ndarray, roc: pd.DataFrame) -> np.ndarray:
    """One class's true-positive rate at each false-positive rate of ``grid``: the top of a
    vertical step (``np.interp`` picks an arbitrary point among equal ``fpr`` values)."""
    import numpy as np

    top = roc.groupby("fpr", sort=True)["tpr"].max()
    return np.interp(grid, top.index.to_numpy("float64"), top.to_numpy("float64"))


def calibration_bins(truth: np.ndarray, scores: np.ndarray, bins: int) -> pd.DataFrame:
    """``sklearn.calibration.calibration_curve`` (uniform bins) with each bin's number and
    row count."""
    import numpy as np
    import pandas as pd

    edges = np.linspace(0.0, 1.0, bins + 1)
    bin_of = np.searchsorted(edges[1:-1], scores, side="right")
    rows = np.bincount(bin_of, minlength=bins)
    sums = np.bincount(bin_of, weights=scores, minlength=bins)
    hits = np.bincount(bin_of, weights=truth.astype("float64"), minlength=bins)
    kept = rows > 0
    return pd.DataFrame(
        {
            "bin": np.flatnonzero(kept),
            "mean_predicted": rounded(sums[kept] / rows[kept]),
            "observed_fraction": rounded(hits[kept] / rows[kept]),
            "rows": rows[kept].astype(int),
        }
    )
