"""Nodes that describe the chosen segmentation: each trial's agreement with the target
classes (external validation, after the choice), the clusters' profiles in the original
feature values, and the headline numbers DVC shows as metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.profiles import profile_table
from roadmap_pipelines.ml.clustering.trials import DECIMALS, EXTERNAL_SCORES, INTERNAL_SCORES
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.segmentation import SegmentationParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    from roadmap_pipelines.hint_stand_ins import pd

    Pipeline = Any

_KEY = "parameters_segmentation.yml: segmentation.<task>"


# --- external validation --------------------------------------------------------------------


def validate_externally(
    scores: pd.DataFrame,
    trial_labels: pd.DataFrame,
    train: pd.DataFrame,
    params: SegmentationParams,
    tabular: TaskParams,
    problem: str,
) -> pd.DataFrame:
    """Add each trial's agreement with the target classes, where the task has classes.

    External validation only: the clusterings and their choice are final before this node
    runs; these columns say how far the segments happen to follow the target.

    Args:
        scores: ``cluster_candidates``'s scores.
        trial_labels: Every trial's labels, indexed by ``row``.
        train: ``<task>.feature_train`` (for the target).
        params: The task's segmentation parameters (``external_validation``).
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``: only classification targets are labels.

    Returns:
        ``scores``, with ``adjusted_rand`` and ``normalized_mutual_info`` for a
        classification task (noise counts as one more cluster) and unchanged otherwise.
    """
    if not params.external_validation or problem_kind(problem) != "classification":
        return scores
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    truth = train[tabular.target].iloc[trial_labels.index.to_numpy()].astype(str).to_numpy()
    result = scores.copy()
    for column, score in (
        ("adjusted_rand", adjusted_rand_score),
        ("normalized_mutual_info", normalized_mutual_info_score),
    ):
        result[column] = [
            round(float(score(truth, trial_labels[trial].to_numpy())), DECIMALS)
            for trial in result["trial"]
        ]
    return result


# --- profiles, embeddings, summary ----------------------------------------------------------


def input_columns(preprocessor: Pipeline, train: pd.DataFrame, target: str) -> list[str]:
    """The columns the preprocessor reads (its ``ColumnTransformer``'s groups, in order), or
    every column but the target when it has no ``ColumnTransformer`` first."""
    from sklearn.compose import ColumnTransformer

    first = preprocessor.steps[0][1]
    if isinstance(first, ColumnTransformer):
        columns = [column for _, _, group in first.transformers for column in group]
    else:
        columns = list(train.columns)
    return [column for column in columns if column != target and column in train.columns]


def profile_clusters(
    train: pd.DataFrame,
    assignments: pd.DataFrame,
    preprocessor: Pipeline,
    tabular: TaskParams,
) -> pd.DataFrame:
    """Describe each cluster of the chosen clustering in the original feature values.

    Args:
        train: ``<task>.feature_train``, unscaled and unencoded.
        assignments: The chosen clustering (``row``, ``cluster``).
        preprocessor: The feature preprocessor (names the features it reads).
        tabular: The task's preprocessing parameters (the target is not profiled).

    Returns:
        One row per cluster (sorted; -1 is DBSCAN's noise): ``cluster``, ``size``, ``share``
        of the rows, then for every feature the preprocessor reads, the mean of a numeric
        feature (of a boolean one: the share of true) or the mode of any other (ties: the
        first label in sorted order).

    Raises:
        InputDataError: If a feature is named like a profile column.
    """
    columns = input_columns(preprocessor, train, tabular.target)
    clash = sorted({"cluster", "size", "share"} & set(columns))
    if clash:
        raise InputDataError(
            f"{_KEY}: feature(s) {clash} of '{tabular.dataset}' share a name with the profile's "
            "own columns (cluster, size, share); rename them"
        )
    data = train.iloc[assignments["row"].to_numpy()][columns].reset_index(drop=True)
    return profile_table(data, assignments["cluster"].to_numpy())


def summarise_segmentation(
    scores: pd.DataFrame,
    variance: pd.DataFrame,
    loadings: pd.DataFrame,
    assignments: pd.DataFrame,
    params: SegmentationParams,
) -> dict[str, Any]:
    """The headline numbers: rows, features, components kept, the chosen clustering and each
    candidate's best k with its scores (DVC shows them as metrics).

    Returns:
        A JSON-ready dictionary; ``adjusted_rand`` and ``normalized_mutual_info`` appear only
        where ``validate_externally`` added them.
    """
    import pandas as pd

    external = [column for column in EXTERNAL_SCORES if column in scores.columns]

    def trial(row: pd.Series) -> dict[str, Any]:
        values = {
            "estimator": row["estimator"],
            "k": None if pd.isna(row["k"]) else int(row["k"]),
            "n_clusters": int(row["n_clusters"]),
            "noise_share": float(row["noise_share"]),
        }
        for column in (*INTERNAL_SCORES, *external):
            values[column] = None if pd.isna(row[column]) else float(row[column])
        return values

    chosen = scores.loc[scores["chosen"]].iloc[0]
    kept = variance.loc[variance["kept"]]
    return {
        "rows": len(assignments),
        "features": len(loadings),
        "pca": {
            "components_kept": len(kept),
            "variance_explained": float(kept["cumulative_ratio"].iloc[-1]),
        },
        "cluster_on": params.cluster_on,
        "select_by": params.select_by,
        "chosen": {"candidate": chosen["candidate"], **trial(chosen)},
        "candidates": {
            row["candidate"]: trial(row)
            for _, row in scores.loc[scores["best_of_candidate"]].iterrows()
        },
        "cluster_sizes": {
            str(label): int(count)
            for label, count in assignments["cluster"].value_counts().sort_index().items()
        },
        "external_validation": bool(external),
    }
