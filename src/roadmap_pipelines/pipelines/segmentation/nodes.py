"""Nodes of the unsupervised analysis: PCA, clustering candidates, their scores, profiles and
2-D embeddings of one task's training rows.

The features are the feature preprocessor's output, fitted here on training rows only (the
test rows are never read). The target is read by one node, ``validate_externally``, which
scores clusterings that are already made: it never reaches a fit or the choice of k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.clusterers import (
    clusterer_class,
    is_hierarchical,
    k_parameter,
    linkage_matrix,
    make_clusterer,
)
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.segmentation import SegmentationParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any

_KEY = "parameters_segmentation.yml: segmentation.<task>"
DECIMALS = 6
INTERNAL_SCORES = ("silhouette", "calinski_harabasz", "davies_bouldin")
EXTERNAL_SCORES = ("adjusted_rand", "normalized_mutual_info")
# davies_bouldin is the one score where lower is better
_LOWER_IS_BETTER = {"davies_bouldin"}
NOISE = -1  # DBSCAN's label for rows in no cluster
DENDROGRAM_COLUMNS = ("left", "right", "distance", "size")


# --- features -------------------------------------------------------------------------------


def sample_rows(n_rows: int, size: int | None, random_state: int) -> np.ndarray:
    """Positions of a seeded sample of ``size`` rows out of ``n_rows``, sorted; all rows if
    ``size`` is ``None`` or not smaller than ``n_rows``."""
    if size is None or size >= n_rows:
        return np.arange(n_rows)
    chosen = np.random.default_rng(random_state).choice(n_rows, size=size, replace=False)
    return np.sort(chosen)


def needs_target(step: Any) -> bool:
    """Whether fitting ``step`` needs the target: target encoders and supervised selectors,
    also inside a ``Pipeline`` (scikit-learn's tags miss both once wrapped)."""
    from sklearn.feature_selection import (
        RFE,
        GenericUnivariateSelect,
        SelectFdr,
        SelectFpr,
        SelectFromModel,
        SelectFwe,
        SelectKBest,
        SelectPercentile,
        SequentialFeatureSelector,
    )
    from sklearn.pipeline import Pipeline
    from sklearn.utils import get_tags

    if isinstance(step, str):  # "drop", "passthrough"
        return False
    if isinstance(step, Pipeline):
        return any(needs_target(inner) for _, inner in step.steps)
    supervised = (
        SelectKBest,
        SelectPercentile,
        GenericUnivariateSelect,
        SelectFpr,
        SelectFdr,
        SelectFwe,
        SelectFromModel,
        RFE,
        SequentialFeatureSelector,
    )
    return isinstance(step, supervised) or get_tags(step).target_tags.required


def unsupervised_preprocessor(preprocessor: Pipeline) -> tuple[Pipeline, list[str]]:
    """A copy of the feature preprocessor without the steps that need the target.

    Column groups encoded with the target (``transform.<group>``) are dropped from the
    ``ColumnTransformer``; supervised selectors are removed from the pipeline. Everything else
    (imputers, scalers, encoders, variance and correlation filters) is kept as specified.

    Args:
        preprocessor: The unfitted feature preprocessor (``<task>.feature_preprocessor``).

    Returns:
        The unfitted copy and the names of what was removed.
    """
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    copy = clone(preprocessor)
    removed: list[str] = []
    for name, step in copy.steps:
        if isinstance(step, ColumnTransformer):
            for group, transformer, columns in step.transformers:
                if needs_target(transformer):
                    step.set_params(**{group: "drop"})
                    removed.append(f"{name}.{group} {list(columns)}")
            if all(isinstance(t, str) and t == "drop" for _, t, _ in step.transformers):
                raise InputDataError(
                    f"{_KEY}.supervised_steps: 'drop' removes every column group of the "
                    f"preprocessor ({removed}): all of them need the target. Use "
                    "'fit_with_target', or give some columns an unsupervised encoder"
                )
    kept = []
    for name, step in copy.steps:
        if needs_target(step):
            removed.append(name)
        else:
            kept.append((name, step))
    return Pipeline(kept).set_output(transform="pandas"), removed


def prepare_features(
    train: pd.DataFrame,
    preprocessor: Pipeline,
    params: SegmentationParams,
    tabular: TaskParams,
    random_state: int,
) -> pd.DataFrame:
    """Fit the feature preprocessor on the training rows and return the features to segment.

    Sizes are checked before anything is fitted. With ``supervised_steps: drop`` the
    preprocessor is fitted without the target (see ``unsupervised_preprocessor``); with
    ``fit_with_target`` it is fitted on the training target as modelling fits it, so the
    feature space itself carries target information (and ARI/NMI come out optimistic).
    Either way only training rows are used: nothing from the test split reaches a fit.

    Args:
        train: ``<task>.feature_train``: training features and target.
        preprocessor: ``<task>.feature_preprocessor``, unfitted.
        params: The task's ``segmentation.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target and dataset name).
        random_state: The project seed (picks the ``max_rows`` sample).

    Returns:
        The preprocessed features, float64, indexed by ``row``: each row's position in
        ``<task>.feature_train``.

    Raises:
        InputDataError: If the target is missing, the rows are too few for ``k_range``, a
            fixed number of clusters or the t-SNE perplexity, or the preprocessed features
            hold missing values or fewer than two columns.
    """
    from sklearn.base import clone

    if tabular.target not in train.columns:
        raise InputDataError(
            f"{_KEY}: the training features of '{tabular.dataset}' have no target column "
            f"'{tabular.target}'"
        )
    rows = sample_rows(len(train), params.max_rows, random_state)
    check_sizes(len(rows), params, tabular)
    sampled = train.iloc[rows]
    features = sampled.drop(columns=[tabular.target])
    if params.supervised_steps == "drop":
        fitted, _ = unsupervised_preprocessor(preprocessor)
        # unsupervised: the target is not passed, so no step could read it
        matrix = fitted.fit_transform(features)
    else:
        # Pipeline.fit_transform cross-fits target encoding, as modelling's fit does
        matrix = clone(preprocessor).fit_transform(features, sampled[tabular.target])
    matrix = pd.DataFrame(matrix, copy=False).astype("float64")
    matrix.index = pd.Index(rows, name="row")
    missing = sorted(str(column) for column in matrix.columns[matrix.isna().any()])
    if missing:
        raise InputDataError(
            f"{_KEY}: the preprocessed features {missing} of '{tabular.dataset}' have missing "
            "values, which clustering cannot use; give their group an impute rule in "
            "parameters_feature_engineering.yml"
        )
    if matrix.shape[1] < 2:
        raise InputDataError(
            f"{_KEY}: the feature preprocessor leaves {matrix.shape[1]} feature(s) "
            f"{list(matrix.columns)} of '{tabular.dataset}'; PCA and the 2-D embeddings need "
            "at least two"
        )
    return matrix


def check_sizes(n_rows: int, params: SegmentationParams, tabular: TaskParams) -> None:
    """Refuse a k range, fixed k or perplexity the ``n_rows`` rows cannot support.

    Raises:
        InputDataError: Naming the parameter, its value and the number of rows.
    """
    where = f"the {n_rows} training row(s) of '{tabular.dataset}'"
    if params.max_rows is not None:
        where += f" segmented (max_rows: {params.max_rows})"
    # a silhouette needs every cluster count between 2 and rows - 1
    largest = n_rows - 1
    searched = []
    for name, candidate in params.candidates.items():
        k_name = k_parameter(clusterer_class(candidate.estimator))
        if k_name is None:
            continue
        if k_name not in candidate.params:
            searched.append(name)
        elif (fixed := candidate.params[k_name]) is not None and not 2 <= fixed <= largest:
            raise InputDataError(
                f"{_KEY}.candidates.{name}.params.{k_name} is {fixed}, but {where} allow "
                f"2 to {largest} clusters"
            )
    if searched and params.k_range.max > largest:
        raise InputDataError(
            f"{_KEY}.k_range.max is {params.k_range.max} (searched by {searched}), but {where} "
            f"allow at most {largest} clusters (rows - 1, for a silhouette); lower k_range.max"
        )
    embedded = min(n_rows, params.tsne.sample_size)
    if params.tsne.perplexity >= embedded:
        raise InputDataError(
            f"{_KEY}.tsne.perplexity is {params.tsne.perplexity}, but t-SNE embeds only "
            f"{embedded} row(s) ({where}); it must be less than that"
        )


# --- PCA ------------------------------------------------------------------------------------


def fit_pca(
    features: pd.DataFrame, params: SegmentationParams
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Principal components of the features: variance, loadings, 2-D scores, kept scores.

    Args:
        features: ``prepare_features`` output.
        params: The task's segmentation parameters (``pca``, ``cluster_on``).

    Returns:
        - the variance table: one row per component with ``explained_variance``,
          ``explained_variance_ratio``, ``cumulative_ratio`` and ``kept``;
        - the loadings: one row per feature, one column per kept component (``PC1`` …), the
          unit-length weights of each component (rows of ``PCA.components_``);
        - the 2-D PCA embedding (``row``, ``x``, ``y``: scores on PC1 and PC2);
        - the clustering input: the features, or their scores on the kept components.

    Raises:
        InputDataError: If ``pca.n_components`` exceeds the components the data has.
    """
    from sklearn.decomposition import PCA

    # "full": exact LAPACK SVD, so the output is deterministic and equals numpy's SVD
    pca = PCA(svd_solver="full").fit(features.to_numpy())
    ratios = pca.explained_variance_ratio_
    cumulative = np.cumsum(ratios)
    available = len(ratios)
    if params.pca.n_components is not None:
        kept = params.pca.n_components
        if kept > available:
            raise InputDataError(
                f"{_KEY}.pca.n_components is {kept}, but {features.shape[0]} rows of "
                f"{features.shape[1]} features have only {available} principal components"
            )
    else:
        # the fewest components reaching the threshold (floating sums may end a hair short)
        assert params.pca.variance_threshold is not None  # PCASpec sets exactly one of the two
        reached = np.flatnonzero(cumulative >= params.pca.variance_threshold - 1e-9)
        kept = int(reached[0]) + 1 if len(reached) else available
    names = [f"PC{index}" for index in range(1, available + 1)]
    variance = pd.DataFrame(
        {
            "component": names,
            "explained_variance": pca.explained_variance_,
            "explained_variance_ratio": ratios,
            "cumulative_ratio": cumulative,
            "kept": np.arange(available) < kept,
        }
    ).round(DECIMALS)
    loadings = pd.DataFrame(
        pca.components_[:kept].T,
        index=pd.Index([str(column) for column in features.columns], name="feature"),
        columns=names[:kept],
    ).round(DECIMALS)
    scores = pca.transform(features.to_numpy())
    embedding = _embedding(features.index, scores[:, :2])
    if params.cluster_on == "pca":
        clustering_input = pd.DataFrame(
            scores[:, :kept], index=features.index, columns=names[:kept]
        )
    else:
        clustering_input = features
    return variance, loadings, embedding, clustering_input


def _embedding(rows: pd.Index, points: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"row": np.asarray(rows, dtype=np.int64), "x": points[:, 0], "y": points[:, 1]}
    ).round(DECIMALS)


# --- clustering -----------------------------------------------------------------------------


def trial_name(candidate: str, k: int | None) -> str:
    """The column of one trial's labels: ``kmeans k=3``, or ``dbscan`` when k is not set."""
    return candidate if k is None else f"{candidate} k={k}"


def cluster_candidates(
    clustering_input: pd.DataFrame, params: SegmentationParams, random_state: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit every candidate at every k of ``k_range``, score each and choose the best.

    A candidate's number of clusters is searched unless its ``params`` fix it (DBSCAN has
    none). Agglomerative clustering is fitted once to the full merge tree, cut at each k, and
    its tree kept as the dendrogram. Labels are renumbered by cluster size (0 is the largest;
    DBSCAN's noise stays -1), so they do not depend on an algorithm's internal order.

    The scores are internal only: silhouette (on a seeded sample of ``silhouette_sample_size``
    rows), Calinski-Harabasz and Davies-Bouldin, computed without noise rows. Each candidate's
    best k and the overall choice follow ``select_by``; ties go to the earlier candidate and
    the smaller k.

    Args:
        clustering_input: ``fit_pca``'s clustering input, indexed by ``row``.
        params: The task's segmentation parameters.
        random_state: The project seed (clusterers, silhouette sample).

    Returns:
        - every trial's labels, one column per trial (``trial_name``), indexed by ``row``;
        - the scores: ``candidate``, ``estimator``, ``k``, ``n_clusters`` (found, without
          noise), ``noise_share``, the internal scores, ``inertia`` (k-means), and the flags
          ``best_of_candidate`` and ``chosen``;
        - the chosen clustering: ``row``, ``cluster``;
        - the dendrogram: SciPy's linkage matrix (``left``, ``right``, ``distance``,
          ``size``) of the best agglomerative candidate, with its name in ``candidate``;
          empty when no candidate is agglomerative.

    Raises:
        InputDataError: If no trial finds at least two clusters to score.
    """
    from sklearn.base import clone

    data = clustering_input.to_numpy()
    n_rows = len(data)
    k_values = list(range(params.k_range.min, params.k_range.max + 1))
    records: list[dict[str, Any]] = []
    labels: dict[str, np.ndarray] = {}
    trees: dict[str, np.ndarray] = {}
    for name, candidate in params.candidates.items():
        clusterer = make_clusterer(candidate.estimator, candidate.params, random_state)
        k_name = k_parameter(type(clusterer))
        searched = k_name is not None and k_name not in candidate.params
        ks: list[int | None] = list(k_values) if searched else [None]
        fits: dict[int | None, tuple[np.ndarray, float | None]] = {}
        if is_hierarchical(clusterer):
            clusterer.set_params(compute_full_tree=True, compute_distances=True)
            if searched:
                clusterer.set_params(n_clusters=ks[0])
            clusterer.fit(data)
            from scipy.cluster.hierarchy import cut_tree

            # one full tree serves every k: cut it after n_rows - k merges
            trees[name] = linkage_matrix(clusterer.children_, clusterer.distances_, n_rows)
            for k in ks:
                found = (
                    cut_tree(trees[name], n_clusters=k).ravel()
                    if k is not None
                    else clusterer.labels_
                )
                fits[k] = (found, None)
        else:
            for k in ks:
                model = clone(clusterer)
                if k is not None:
                    assert k_name is not None  # k is searched only for a known k parameter
                    model.set_params(**{k_name: k})
                found = model.fit_predict(data)
                fits[k] = (np.asarray(found), getattr(model, "inertia_", None))
        for k, (found, inertia) in fits.items():
            ordered = renumber_by_size(found)
            shown_k = k if k is not None else (candidate.params.get(k_name) if k_name else None)
            labels[trial_name(name, k)] = ordered
            record = {
                "candidate": name,
                "estimator": candidate.estimator,
                "k": shown_k,
                "trial": trial_name(name, k),
            }
            record |= _internal_scores(data, ordered, params.silhouette_sample_size, random_state)
            record["inertia"] = np.nan if inertia is None else float(inertia)
            records.append(record)
    scores = pd.DataFrame(records)
    scores["k"] = scores["k"].astype("Int64")
    scores = _choose(scores, params.select_by)
    chosen = scores.loc[scores["chosen"]].iloc[0]
    assignments = pd.DataFrame(
        {
            "row": np.asarray(clustering_input.index, dtype=np.int64),
            "cluster": labels[chosen["trial"]],
        }
    )
    trial_labels = pd.DataFrame(labels, index=clustering_input.index)
    dendrogram = _dendrogram(trees, scores, params.select_by)
    for column in (*INTERNAL_SCORES, "noise_share", "inertia"):
        scores[column] = scores[column].round(DECIMALS)
    return trial_labels, scores, assignments, dendrogram


def renumber_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, … from largest to smallest (ties: the one whose first row
    comes first); noise (-1) stays -1."""
    labels = np.asarray(labels, dtype=np.int64)
    clusters, first, counts = np.unique(
        labels[labels != NOISE], return_index=True, return_counts=True
    )
    order = sorted(range(len(clusters)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(clusters[i]): rank for rank, i in enumerate(order)}
    return np.array([mapping.get(int(label), NOISE) for label in labels], dtype=np.int64)


def _internal_scores(
    data: np.ndarray,
    labels: np.ndarray,
    sample_size: int | None,
    random_state: int,
) -> dict[str, float]:
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


def _choose(scores: pd.DataFrame, select_by: str) -> pd.DataFrame:
    """Flag each candidate's best trial and the overall best, on rounded scores."""
    value = scores[select_by].round(DECIMALS)
    if select_by in _LOWER_IS_BETTER:
        value = -value
    if value.isna().all():
        raise InputDataError(
            f"{_KEY}: no candidate found at least two clusters to score by {select_by} "
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


def _dendrogram(trees: dict[str, np.ndarray], scores: pd.DataFrame, select_by: str) -> pd.DataFrame:
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
    value = best[select_by] if select_by not in _LOWER_IS_BETTER else -best[select_by]
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
    cluster = assignments["cluster"].to_numpy()
    rows = []
    for label in np.unique(cluster):
        part = data.loc[cluster == label]
        row: dict[str, Any] = {
            "cluster": int(label),
            "size": len(part),
            "share": round(len(part) / len(data), DECIMALS),
        }
        for column in columns:
            row[column] = _typical(part[column])
        rows.append(row)
    return pd.DataFrame(rows, columns=["cluster", "size", "share", *columns])


def _typical(values: pd.Series) -> Any:
    """Mean of a numeric or boolean column, mode of any other; ``None`` if all missing."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        mean = values.astype("float64").mean()
        return None if pd.isna(mean) else round(float(mean), DECIMALS)
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return None
    return sorted(counts.index[counts == counts.max()])[0]


def embed_tsne(
    clustering_input: pd.DataFrame, params: SegmentationParams, random_state: int
) -> pd.DataFrame:
    """A 2-D t-SNE map of a seeded sample of rows, in the space the clusters were found in.

    Args:
        clustering_input: ``fit_pca``'s clustering input, indexed by ``row``.
        params: The task's segmentation parameters (``tsne``).
        random_state: The project seed (the sample and t-SNE's own randomness).

    Returns:
        ``row``, ``x``, ``y`` of the ``tsne.sample_size`` sampled rows (all if fewer).
    """
    from sklearn.manifold import TSNE

    spec = params.tsne
    rows = sample_rows(len(clustering_input), spec.sample_size, random_state)
    points = TSNE(
        n_components=2,
        perplexity=spec.perplexity,
        max_iter=spec.max_iter,
        init="pca",
        learning_rate="auto",
        random_state=random_state,
        n_jobs=1,
    ).fit_transform(clustering_input.to_numpy()[rows])
    return _embedding(clustering_input.index[rows], points)


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
