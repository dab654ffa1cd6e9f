"""Per-feature and prediction drift between a training reference and an incoming batch.

Numeric columns: population stability index (PSI) over the reference's quantile bins, and the
two-sample Kolmogorov-Smirnov test. Categorical columns: PSI over the levels and the
chi-squared test of homogeneity. Missing values are a bin (a level) of their own in both, and a
numeric column's p-value is the smaller of KS and a chi-squared test of its missing share, so a
column that starts arriving empty drifts too. A column drifts when its PSI reaches the
threshold *and* its test's p-value falls below the threshold: the test alone flags tiny,
harmless shifts on large batches; PSI alone flags noise on small ones.

scipy computes the tests (Evidently was considered; see docs/deploy.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MISSING = "<missing>"
_EPS = 1e-4  # share given to an empty bin, so PSI stays finite for a new level


@dataclass(frozen=True)
class DriftRule:
    """When a column counts as drifted (both must hold)."""

    psi: float
    p_value: float


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins.

    Args:
        reference: Counts per bin in the reference.
        current: Counts per bin in the batch.

    Returns:
        sum((c - r) * ln(c / r)) over bin shares, empty bins given a small share.
    """
    import numpy as np

    ref = np.maximum(reference / max(reference.sum(), 1), _EPS)
    cur = np.maximum(current / max(current.sum(), 1), _EPS)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def is_numeric(values: pd.Series) -> bool:
    """Whether a column is compared as numbers (bools and categories are levels)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _numeric_counts(reference: pd.Series, current: pd.Series, bins: int) -> tuple[Any, Any]:
    import numpy as np

    ref = reference.dropna().astype("float64").to_numpy()
    cur = current.dropna().astype("float64").to_numpy()
    edges: np.ndarray | list[float] = (
        np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1])) if len(ref) else []
    )
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    ref_counts = np.append(ref_counts, reference.isna().sum())
    cur_counts = np.append(cur_counts, current.isna().sum())
    return ref_counts, cur_counts


def _level_counts(reference: pd.Series, current: pd.Series) -> tuple[Any, Any, list[str]]:
    ref = reference.astype(object).where(reference.notna(), MISSING).astype(str)
    cur = current.astype(object).where(current.notna(), MISSING).astype(str)
    ref_levels = set(ref.unique())  # once: building it per level costs levels x rows
    levels = sorted(ref_levels | set(cur.unique()))
    ref_counts = ref.value_counts().reindex(levels, fill_value=0).to_numpy()
    cur_counts = cur.value_counts().reindex(levels, fill_value=0).to_numpy()
    return ref_counts, cur_counts, [level for level in levels if level not in ref_levels]


def column_drift(
    reference: pd.Series, current: pd.Series, bins: int, rule: DriftRule
) -> dict[str, Any]:
    """Drift of one column: PSI, the test, its p-value and whether the column drifted.

    Args:
        reference: The column in the training reference.
        current: The column in the batch.
        bins: Quantile bins of numeric columns.
        rule: The drift thresholds.

    Returns:
        ``kind``, ``psi``, ``test`` (ks or chi2), ``statistic``, ``p_value``, ``drifted``,
        the ``missing_share`` of both sides, and for categorical columns ``new_levels``.
    """
    import numpy as np
    from scipy import stats

    result: dict[str, Any] = {}
    if is_numeric(reference) and is_numeric(current):
        ref_counts, cur_counts = _numeric_counts(reference, current, bins)
        ref, cur = reference.dropna(), current.dropna()
        if len(ref) and len(cur):
            test = stats.ks_2samp(ref.astype("float64"), cur.astype("float64"))
            statistic, p_value = float(test.statistic), float(test.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        # KS sees only the values: a column arriving empty is caught by its missing share
        missing = np.array(
            [
                [reference.isna().sum(), reference.notna().sum()],
                [current.isna().sum(), current.notna().sum()],
            ]
        )
        if missing[:, 0].sum() and missing[:, 1].sum():
            p_value = min(p_value, float(stats.chi2_contingency(missing, correction=False).pvalue))
        result |= {"kind": "numeric", "test": "ks"}
    else:
        ref_counts, cur_counts, new_levels = _level_counts(reference, current)
        table = np.vstack([ref_counts, cur_counts])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] > 1:
            test = stats.chi2_contingency(table, correction=False)
            statistic, p_value = float(test.statistic), float(test.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        result |= {"kind": "categorical", "test": "chi2", "new_levels": new_levels}
    value = psi(ref_counts, cur_counts)
    return result | {
        "psi": round(value, 6),
        "statistic": round(statistic, 6),
        "p_value": float(f"{p_value:.6g}"),
        "drifted": bool(value >= rule.psi and p_value < rule.p_value),
        "missing_share": {
            "reference": round(float(reference.isna().mean()), 6),
            "current": round(float(current.isna().mean()), 6),
        },
    }


def feature_drift(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], bins: int, rule: DriftRule
) -> pd.DataFrame:
    """Drift of each of ``columns`` (present in both tables), one row a column.

    Args:
        reference: The training reference rows.
        current: The batch rows.
        columns: The columns to compare.
        bins: Quantile bins of numeric columns.
        rule: The drift thresholds.

    Returns:
        ``feature``, ``kind``, ``test``, ``psi``, ``statistic``, ``p_value``, ``drifted``,
        ``new_levels``, ordered by PSI (largest first), then name.
    """
    import pandas as pd

    rows = []
    for column in columns:
        drift = column_drift(reference[column], current[column], bins, rule)
        rows.append(
            {
                "feature": column,
                "kind": drift["kind"],
                "test": drift["test"],
                "psi": drift["psi"],
                "statistic": drift["statistic"],
                "p_value": drift["p_value"],
                "drifted": drift["drifted"],
                "new_levels": ", ".join(drift.get("new_levels", [])),
                "missing_reference": drift["missing_share"]["reference"],
                "missing_current": drift["missing_share"]["current"],
            }
        )
    table = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["feature"])
    if rows:
        table = table.sort_values(["psi", "feature"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def performance_change(
    reference: dict[str, float], current: dict[str, float], greater_is_better: dict[str, bool]
) -> dict[str, dict[str, float]]:
    """Each metric of the batch beside its training test value, with the relative worsening.

    Args:
        reference: The training run's test metrics.
        current: The same metrics on the labelled batch.
        greater_is_better: Direction of each metric.

    Returns:
        Metric name to ``test``, ``batch`` and ``worsening`` (positive is worse, as a share of
        the test value).
    """
    import numpy as np

    change = {}
    for name, test_value in reference.items():
        batch_value = current.get(name)
        if batch_value is None or test_value is None or not np.isfinite(batch_value):
            continue
        sign = 1 if greater_is_better.get(name, True) else -1
        worsening = sign * (test_value - batch_value) / max(abs(test_value), 1e-12)
        change[name] = {
            "test": round(float(test_value), 6),
            "batch": round(float(batch_value), 6),
            "worsening": round(float(worsening), 6),
        }
    return change
