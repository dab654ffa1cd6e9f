"""Clustering trials: fit a clusterer at each number of clusters, renumber its labels, score
them (internal scores only) and choose the best trial.

Scores and tables are rounded to ``DECIMALS`` decimals, so reruns give byte-identical files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.clusterers import is_hierarchical, linkage_matrix

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DECIMALS = 6
INTERNAL_SCORES = ("silhouette", "calinski_harabasz", "davies_bouldin")
EXTERNAL_SCORES = ("adjusted_rand", "normalized_mutual_info")
LOWER_IS_BETTER = frozenset({"davies_bouldin"})
NOISE = -1  # DBSCAN's label for rows in no cluster

# k -> labels, inertia (k-means)
Fits: TypeAlias = "dict[int | None, tuple[np.ndarray, float | None]]"


def sample_rows(n_rows: int, size: int | None, random_state: int) -> np.ndarray:
    """Positions of a seeded sample of ``size`` rows out of ``n_rows``, sorted; all rows if
    ``size`` is ``None`` or not smaller than ``n_rows``."""
    import numpy as np

    if size is None or size >= n_rows:
        return np.arange(n_rows)
    chosen = np.random.default_rng(random_state).choice(n_rows, size=size, replace=False)
    return np.sort(chosen)


def trial_name(candidate: str, k: int | None) -> str:
    """The column of one trial's labels: ``kmeans k=3``, or ``dbscan`` when k is not set."""
    return candidate if k is None else f"{candidate} k={k}"


def fit_trials(
    clusterer: Any, k_name: str | None, ks: list[int | None], data: np.ndarray
) -> tuple[Fits, np.ndarray | None]:
    """Fit ``clusterer`` at each k of ``ks`` (``None``: as configured).

    Agglomerative clustering is fitted once to the full merge tree and cut at each k.

    Args:
        clusterer: An unfitted clusterer (``make_clusterer``).
        k_name: Its number-of-clusters parameter, or ``None`` if it has none.
        ks: The numbers of clusters to try, or ``[None]``.
        data: The rows to cluster.

    Returns:
        Each k's labels and inertia (k-means; else ``None``), and SciPy's linkage matrix of a
        hierarchical clusterer (else ``None``).
    """
    import numpy as np

    fits: Fits = {}
    if is_hierarchical(clusterer):
        from scipy.cluster.hierarchy import cut_tree

        clusterer.set_params(compute_full_tree=True, compute_distances=True)
        if ks[0] is not None:
            clusterer.set_params(n_clusters=ks[0])
        clusterer.fit(data)
        # one full tree serves every k: cut it after n_rows - k merges
        tree = linkage_matrix(clusterer.children_, clusterer.distances_, len(data))
        if ks == [None]:
            return {None: (clusterer.labels_, None)}, tree
        # one cut_tree call walks the merges once for every k (a call per k walks them again)
        cuts = cut_tree(tree, n_clusters=ks)
        return {k: (cuts[:, column], None) for column, k in enumerate(ks)}, tree
    from sklearn.base import clone

    for k in ks:
        model = clone(clusterer)
        if k is not None:
            assert k_name is not None  # k is searched only for a known k parameter
            model.set_params(**{k_name: k})
        found = model.fit_predict(data)
        fits[k] = (np.asarray(found), getattr(model, "inertia_", None))
    return fits, None


def renumber_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, … from largest to smallest (ties: the one whose first row
    comes first); noise (-1) stays -1."""
    import numpy as np

    labels = np.asarray(labels, dtype=np.int64)
    clusters, first, counts = np.unique(
        labels[labels != NOISE], return_index=True, return_counts=True
    )
    order = sorted(range(len(clusters)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(clusters[i]): rank for rank, i in enumerate(order)}
    return np.array([mapping.get(int(label), NOISE) for label in labels], dtype=np.int64)


def internal_scores(
    data: np.ndarray,
    labels: np.ndarray,
    sample_size: int | None,
    random_state: int,
) -> dict[str, float]:
    """Clusters found, noise share and the internal scores, computed without noise rows
    (silhouette on a seeded sample of ``sample_size`` rows); missing where undefined."""
    import numpy as np
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    clustered = labels != NOISE
    found = len(np.unique(labels[clustered]))
    result = {
        "n_clusters": found,
        "noise_share": float(1 - clustered.mean()),
        **dict.fromkeys(INTERNAL_SCORES, np.nan),
    }
    points, assigned = data[clustered], labels[clustered]
    if not 2 <= found <= len(points) - 1:
        return result
    result["calinski_harabasz"] = float(calinski_harabasz_score(points, assigned))
    result["davies_bouldin"] = float(davies_bouldin_score(points, assigned))
    sample = sample_rows(len(points), sample_size, random_state)
    if 2 <= len(np.unique(assigned[sample])) <= len(sample) - 1:
        result["silhouette"] = float(silhouette_score(points[sample], assigned[sample]))
    return result


def choose(scores: pd.DataFrame, select_by: str, where: str) -> pd.DataFrame:
    """Flag each candidate's best trial and the overall best, on rounded scores.

    Raises:
        InputDataError: If no trial has a ``select_by`` score; ``where`` names the parameters.
    """
    value = scores[select_by].round(DECIMALS)
    if select_by in LOWER_IS_BETTER:
        value = -value
    if value.isna().all():
        raise InputDataError(
            f"{where}: no candidate found at least two clusters to score by {select_by} "
            f"(trials: {scores['trial'].tolist()}); widen k_range or change the candidates' "
            "params (DBSCAN's eps)"
        )
    # idxmax keeps the first of equal values: the earlier candidate, then the smaller k
    best = [
        trials.dropna().idxmax()
        for _, trials in value.groupby(scores["candidate"], sort=False)
        if trials.notna().any()
    ]
    scores["best_of_candidate"] = scores.index.isin(best)
    scores["chosen"] = scores.index == value.idxmax()
    return scores


def dendrogram_table(
    trees: dict[str, np.ndarray], scores: pd.DataFrame, select_by: str
) -> pd.DataFrame:
    """The linkage matrix of the best hierarchical candidate (``candidate``, ``left``,
    ``right``, ``distance``, ``size``); empty when no candidate is hierarchical."""
    import pandas as pd

    columns = {
        "candidate": pd.Series(dtype="string"),
        "left": pd.Series(dtype="int64"),
        "right": pd.Series(dtype="int64"),
        "distance": pd.Series(dtype="float64"),
        "size": pd.Series(dtype="int64"),
    }
    if not trees:
        return pd.DataFrame(columns)
    best = scores.loc[scores["candidate"].isin(trees) & scores["best_of_candidate"]]
    value = best[select_by] if select_by not in LOWER_IS_BETTER else -best[select_by]
    name = best.loc[value.idxmax(), "candidate"] if value.notna().any() else next(iter(trees))
    tree = trees[name]
    return pd.DataFrame(
        {
            "candidate": pd.array([name] * len(tree), dtype="string"),
            "left": tree[:, 0].astype("int64"),
            "right": tree[:, 1].astype("int64"),
            "distance": tree[:, 2].round(DECIMALS),
            "size": tree[:, 3].astype("int64"),
        }
    )
