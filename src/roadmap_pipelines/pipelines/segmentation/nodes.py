"""Nodes of the unsupervised analysis: the features to segment, PCA, clustering candidates
with their scores, and 2-D embeddings of one task's training rows. The algorithms are in
``ml.clustering``; ``profile_nodes`` describes the chosen clustering.

The features are the feature preprocessor's output, fitted here on training rows only (the
test rows are never read). The target is read by one node, ``validate_externally``, which
scores clusterings that are already made: it never reaches a fit or the choice of k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.clusterers import (
    clusterer_class,
    k_parameter,
    make_clusterer,
)
from roadmap_pipelines.ml.clustering.pca import principal_components
from roadmap_pipelines.ml.clustering.trials import (
    DECIMALS,
    INTERNAL_SCORES,
    choose,
    dendrogram_table,
    fit_trials,
    internal_scores,
    renumber_by_size,
    sample_rows,
    trial_name,
)
from roadmap_pipelines.ml.features.supervised_steps import without_supervised_steps
from roadmap_pipelines.params.segmentation import SegmentationParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    from roadmap_pipelines.hint_stand_ins import np, pd

    Pipeline = Any

_KEY = "parameters_segmentation.yml: segmentation.<task>"


# --- features -------------------------------------------------------------------------------


def unsupervised_preprocessor(preprocessor: Pipeline) -> tuple[Pipeline, list[str]]:
    """A copy of the feature preprocessor without the steps that need the target.

    Column groups encoded with the target (``transform.<group>``) are dropped from the
    ``ColumnTransformer``; supervised selectors are removed from the pipeline. Everything else
    (imputers, scalers, encoders, variance and correlation filters) is kept as specified.

    Args:
        preprocessor: The unfitted feature preprocessor (``<task>.feature_preprocessor``).

    Returns:
        The unfitted copy and the names of what was removed.

    Raises:
        InputDataError: If every column group needs the target.
    """
    return without_supervised_steps(preprocessor, f"{_KEY}.supervised_steps")


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
    import pandas as pd

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
        from sklearn.base import clone

        # Pipeline.fit_transform cross-fits target encoding, as modelling's fit does
        matrix = clone(preprocessor).fit_transform(features, sampled[tabular.target])
    matrix = pd.DataFrame(matrix, copy=False).astype("float64")
    matrix.index = pd.Index(rows, name="row")
    _check_features(matrix, tabular)
    return matrix


def _check_features(matrix: pd.DataFrame, tabular: TaskParams) -> None:
    """Refuse preprocessed features with missing values, or fewer than two of them."""
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
    import pandas as pd

    components = principal_components(
        features, params.pca.n_components, params.pca.variance_threshold, _KEY
    )
    embedding = _embedding(features.index, components.scores[:, :2])
    if params.cluster_on == "pca":
        kept = components.kept
        clustering_input = pd.DataFrame(
            components.scores[:, :kept], index=features.index, columns=components.names[:kept]
        )
    else:
        clustering_input = features
    return components.variance, components.loadings, embedding, clustering_input


def _embedding(rows: pd.Index, points: np.ndarray) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {"row": np.asarray(rows, dtype=np.int64), "x": points[:, 0], "y": points[:, 1]}
    ).round(DECIMALS)


# --- clustering -----------------------------------------------------------------------------


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
    import numpy as np

    data = clustering_input.to_numpy()
    k_values: list[int | None] = list(range(params.k_range.min, params.k_range.max + 1))
    records: list[dict[str, Any]] = []
    labels: dict[str, np.ndarray] = {}
    trees: dict[str, np.ndarray] = {}
    for name, candidate in params.candidates.items():
        clusterer = make_clusterer(candidate.estimator, candidate.params, random_state)
        k_name = k_parameter(type(clusterer))
        searched = k_name is not None and k_name not in candidate.params
        fits, tree = fit_trials(clusterer, k_name, k_values if searched else [None], data)
        if tree is not None:
            trees[name] = tree
        for k, (found, inertia) in fits.items():
            trial = trial_name(name, k)
            labels[trial] = renumber_by_size(found)
            shown_k = k if k is not None else (candidate.params.get(k_name) if k_name else None)
            records.append(
                {"candidate": name, "estimator": candidate.estimator, "k": shown_k, "trial": trial}
                | internal_scores(data, labels[trial], params.silhouette_sample_size, random_state)
                | {"inertia": np.nan if inertia is None else float(inertia)}
            )
    return _trial_tables(clustering_input, records, labels, trees, params.select_by)


def _trial_tables(
    clustering_input: pd.DataFrame,
    records: list[dict[str, Any]],
    labels: dict[str, np.ndarray],
    trees: dict[str, np.ndarray],
    select_by: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every trial's labels, the scores with the choice flagged, the chosen clustering and the
    dendrogram, as ``cluster_candidates`` returns them."""
    import numpy as np
    import pandas as pd

    scores = pd.DataFrame(records)
    scores["k"] = scores["k"].astype("Int64")
    scores = choose(scores, select_by, _KEY)
    chosen = scores.loc[scores["chosen"]].iloc[0]
    assignments = pd.DataFrame(
        {
            "row": np.asarray(clustering_input.index, dtype=np.int64),
            "cluster": labels[chosen["trial"]],
        }
    )
    trial_labels = pd.DataFrame(labels, index=clustering_input.index)
    dendrogram = dendrogram_table(trees, scores, select_by)
    for column in (*INTERNAL_SCORES, "noise_share", "inertia"):
        scores[column] = scores[column].round(DECIMALS)
    return trial_labels, scores, assignments, dendrogram


# --- embeddings ---------------------------------------------------------------------------


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
