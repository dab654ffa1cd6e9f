"""Unit tests of the segmentation nodes (and the ml/clustering code under them) on synthetic
blobs and small hand-made frames.

Expected values are worked out by hand, or by an independent route (numpy's SVD, SciPy's
linkage) named next to them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs
from sklearn.feature_selection import SelectKBest, VarianceThreshold
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.trials import renumber_by_size, sample_rows
from roadmap_pipelines.ml.features.supervised_steps import needs_target
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.params.segmentation import SegmentationParams
from roadmap_pipelines.pipelines.segmentation.nodes import (
    cluster_candidates,
    embed_tsne,
    fit_pca,
    prepare_features,
    unsupervised_preprocessor,
)
from roadmap_pipelines.pipelines.segmentation.profile_nodes import (
    profile_clusters,
    summarise_segmentation,
    validate_externally,
)

KEY = "parameters_segmentation.yml: segmentation.<task>"
SEED = 42


# --- builders -------------------------------------------------------------------------------


def params(**overrides: Any) -> SegmentationParams:
    values: dict[str, Any] = {
        "candidates": {
            "kmeans": {"estimator": "kmeans"},
            "agglomerative": {"estimator": "agglomerative"},
        },
        "k_range": {"min": 2, "max": 6},
        "silhouette_sample_size": None,
        "tsne": {"sample_size": 60, "perplexity": 10, "max_iter": 250},
    }
    values.update(overrides)
    return SegmentationParams.model_validate(values)


def tabular(target: str = "y") -> TabularParams:
    return TabularParams.model_validate(
        {
            "dataset": "toy.tabular_raw",
            "target": target,
            "columns": {target: {"dtype": "category"}},
            "split": {"strategy": "random", "test_size": 0.25},
        }
    )


def blobs(n_samples: int = 150, centers: int = 3, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Well-separated Gaussian blobs (std 0.5, centres ~10 apart) and their true labels."""
    points, truth = make_blobs(
        n_samples=n_samples, centers=centers, n_features=4, cluster_std=0.5, random_state=seed
    )
    frame = pd.DataFrame(points, columns=["a", "b", "c", "d"])
    frame.index.name = "row"
    return frame, truth


def scaler_preprocessor(columns: list[str]) -> Pipeline:
    transform = ColumnTransformer(
        [("numeric_1", StandardScaler(), columns)], verbose_feature_names_out=False
    )
    return Pipeline([("transform", transform)]).set_output(transform="pandas")


# --- sampling, renumbering ------------------------------------------------------------------


def test_sample_rows_is_a_sorted_seeded_subset_or_every_row() -> None:
    sample = sample_rows(100, 10, SEED)

    assert len(sample) == len(set(sample)) == 10
    assert sample.tolist() == sorted(sample.tolist())
    assert sample.tolist() == sample_rows(100, 10, SEED).tolist()
    assert sample.tolist() != sample_rows(100, 10, SEED + 1).tolist()
    assert sample_rows(5, 10, SEED).tolist() == [0, 1, 2, 3, 4]
    assert sample_rows(5, None, SEED).tolist() == [0, 1, 2, 3, 4]


def test_renumber_by_size_puts_the_largest_cluster_first_and_keeps_noise() -> None:
    # sizes: label 5 has 2 rows, label 2 has 3, label 7 has 2 (first seen after 5)
    labels = np.array([5, 5, 2, 2, 2, -1, 7, 7])

    assert renumber_by_size(labels).tolist() == [1, 1, 0, 0, 0, -1, 2, 2]


# --- recovering blobs -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def clustered_blobs() -> dict[str, Any]:
    frame, truth = blobs()
    trial_labels, scores, assignments, dendrogram = cluster_candidates(frame, params(), SEED)
    return {
        "frame": frame,
        "truth": truth,
        "trial_labels": trial_labels,
        "scores": scores,
        "assignments": assignments,
        "dendrogram": dendrogram,
    }


def test_kmeans_and_agglomerative_recover_the_blobs(clustered_blobs: dict[str, Any]) -> None:
    scores = clustered_blobs["scores"]
    best = scores.loc[scores["best_of_candidate"]].set_index("candidate")

    # silhouette picks the true k for both candidates, and the clusters are the blobs
    assert best.loc["kmeans", "k"] == best.loc["agglomerative", "k"] == 3
    for candidate in ("kmeans", "agglomerative"):
        labels = clustered_blobs["trial_labels"][f"{candidate} k=3"]
        assert adjusted_rand_score(clustered_blobs["truth"], labels) == pytest.approx(1.0)
    chosen = scores.loc[scores["chosen"]]
    assert len(chosen) == 1
    assert chosen["k"].iloc[0] == 3
    assert adjusted_rand_score(
        clustered_blobs["truth"], clustered_blobs["assignments"]["cluster"]
    ) == pytest.approx(1.0)


def test_scores_table_has_every_candidate_at_every_k(clustered_blobs: dict[str, Any]) -> None:
    scores = clustered_blobs["scores"]

    assert scores["trial"].tolist() == [
        f"{candidate} k={k}" for candidate in ("kmeans", "agglomerative") for k in range(2, 7)
    ]
    assert (scores["n_clusters"] == scores["k"]).all()
    assert (scores["noise_share"] == 0).all()
    assert scores[["silhouette", "calinski_harabasz", "davies_bouldin"]].notna().all().all()
    # the silhouette peaks at the true k: its row has the largest value of each candidate
    for _, trials in scores.groupby("candidate"):
        assert trials.loc[trials["silhouette"].idxmax(), "k"] == 3
        assert trials.loc[trials["calinski_harabasz"].idxmax(), "k"] == 3
        assert trials.loc[trials["davies_bouldin"].idxmin(), "k"] == 3
    assert list(clustered_blobs["trial_labels"].columns) == scores["trial"].tolist()


def test_kmeans_inertia_falls_as_k_grows_and_only_kmeans_has_one(
    clustered_blobs: dict[str, Any],
) -> None:
    scores = clustered_blobs["scores"].set_index("trial")
    inertia = [scores.loc[f"kmeans k={k}", "inertia"] for k in range(2, 7)]

    assert all(a > b for a, b in zip(inertia, inertia[1:], strict=False))
    # the elbow: the drop from 2 to 3 dwarfs every later one
    assert inertia[0] - inertia[1] > 10 * (inertia[1] - inertia[2])
    assert scores.loc[scores["candidate"] == "agglomerative", "inertia"].isna().all()


def test_silhouette_matches_scikit_learns(clustered_blobs: dict[str, Any]) -> None:
    from sklearn.metrics import silhouette_score

    frame, scores = clustered_blobs["frame"], clustered_blobs["scores"].set_index("trial")
    labels = clustered_blobs["trial_labels"]["kmeans k=4"]

    assert scores.loc["kmeans k=4", "silhouette"] == pytest.approx(
        silhouette_score(frame, labels), abs=1e-6
    )


def test_labels_are_numbered_by_cluster_size(clustered_blobs: dict[str, Any]) -> None:
    for trial in clustered_blobs["trial_labels"]:
        sizes = clustered_blobs["trial_labels"][trial].value_counts().sort_index()
        assert sizes.index.tolist() == list(range(len(sizes)))
        assert sizes.is_monotonic_decreasing, trial


def test_dendrogram_is_scipys_ward_linkage_of_the_rows(clustered_blobs: dict[str, Any]) -> None:
    dendrogram = clustered_blobs["dendrogram"]
    frame = clustered_blobs["frame"]
    expected = linkage(frame.to_numpy(), method="ward")

    assert dendrogram["candidate"].unique().tolist() == ["agglomerative"]
    assert len(dendrogram) == len(frame) - 1
    np.testing.assert_allclose(dendrogram["distance"], expected[:, 2], atol=1e-6)
    assert dendrogram["size"].tolist() == expected[:, 3].astype(int).tolist()
    assert dendrogram["distance"].is_monotonic_increasing
    # cutting SciPy's tree at k gives the agglomerative candidate's clusters at k
    for k in range(2, 7):
        scipy_labels = fcluster(expected, k, criterion="maxclust")
        ours = clustered_blobs["trial_labels"][f"agglomerative k={k}"]
        assert adjusted_rand_score(scipy_labels, ours) == 1.0


def test_linkage_is_configurable_and_the_dendrogram_follows_it() -> None:
    frame, truth = blobs(n_samples=60)
    config = params(
        candidates={"average": {"estimator": "agglomerative", "params": {"linkage": "average"}}}
    )

    trial_labels, scores, _, dendrogram = cluster_candidates(frame, config, SEED)

    expected = linkage(frame.to_numpy(), method="average")
    np.testing.assert_allclose(dendrogram["distance"], expected[:, 2], atol=1e-6)
    assert adjusted_rand_score(truth, trial_labels["average k=3"]) == pytest.approx(1.0)


def test_select_by_davies_bouldin_picks_the_lowest() -> None:
    frame, _ = blobs(n_samples=90, centers=4)
    config = params(candidates={"kmeans": {"estimator": "kmeans"}}, select_by="davies_bouldin")

    _, scores, _, dendrogram = cluster_candidates(frame, config, SEED)

    chosen = scores.loc[scores["chosen"]].iloc[0]
    assert chosen["davies_bouldin"] == scores["davies_bouldin"].min()
    assert chosen["k"] == 4
    # no agglomerative candidate: an empty dendrogram with its columns
    assert dendrogram.empty
    assert list(dendrogram.columns) == ["candidate", "left", "right", "distance", "size"]


def test_a_fixed_k_is_fitted_once() -> None:
    frame, truth = blobs(n_samples=60)
    config = params(candidates={"kmeans": {"estimator": "kmeans", "params": {"n_clusters": 3}}})

    trial_labels, scores, _, _ = cluster_candidates(frame, config, SEED)

    assert scores["trial"].tolist() == ["kmeans"]
    assert scores["k"].tolist() == [3]
    assert adjusted_rand_score(truth, trial_labels["kmeans"]) == pytest.approx(1.0)


def test_dbscan_marks_noise_and_scores_only_clustered_rows() -> None:
    frame, truth = blobs(n_samples=60, centers=2)
    frame.loc[60] = [100.0, 100.0, 100.0, 100.0]  # far from everything: noise
    config = params(candidates={"dbscan": {"estimator": "dbscan", "params": {"eps": 2.0}}})

    trial_labels, scores, assignments, _ = cluster_candidates(frame, config, SEED)

    row = scores.iloc[0]
    assert (row["trial"], pd.isna(row["k"]), row["n_clusters"]) == ("dbscan", True, 2)
    assert row["noise_share"] == round(1 / 61, 6)
    assert trial_labels["dbscan"].tolist()[-1] == -1
    assert adjusted_rand_score(truth, trial_labels["dbscan"].iloc[:60]) == pytest.approx(1.0)
    # silhouette of the clustered rows only: the two blobs alone
    from sklearn.metrics import silhouette_score

    assert row["silhouette"] == pytest.approx(silhouette_score(frame.iloc[:60], truth), abs=1e-6)
    assert assignments["cluster"].tolist()[-1] == -1


def test_no_scorable_clustering_is_an_error() -> None:
    frame, _ = blobs(n_samples=30)
    config = params(candidates={"dbscan": {"estimator": "dbscan", "params": {"eps": 0.001}}})

    with pytest.raises(InputDataError, match=r"no candidate found at least two clusters.*'dbscan'"):
        cluster_candidates(frame, config, SEED)


def test_an_import_path_clusterer_searches_its_own_k_argument() -> None:
    frame, truth = blobs(n_samples=90)
    config = params(candidates={"gmm": {"estimator": "sklearn.mixture.GaussianMixture"}})

    trial_labels, scores, _, _ = cluster_candidates(frame, config, SEED)

    assert scores["k"].tolist() == [2, 3, 4, 5, 6]
    assert scores.loc[scores["chosen"], "k"].iloc[0] == 3
    assert adjusted_rand_score(truth, trial_labels["gmm k=3"]) == pytest.approx(1.0)


# --- PCA ------------------------------------------------------------------------------------


def test_pca_explained_variance_matches_numpys_svd() -> None:
    matrix = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 3.0], [4.0, 2.0, 0.0], [1.0, 5.0, 2.0]])
    frame = pd.DataFrame(matrix, columns=["p", "q", "r"])
    centred = matrix - matrix.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)

    variance, loadings, embedding, _ = fit_pca(frame, params(pca={"n_components": 3}))

    expected = singular**2 / (len(matrix) - 1)
    np.testing.assert_allclose(variance["explained_variance"], expected, atol=1e-6)
    np.testing.assert_allclose(
        variance["explained_variance_ratio"], expected / expected.sum(), atol=1e-6
    )
    np.testing.assert_allclose(
        variance["cumulative_ratio"], np.cumsum(expected) / expected.sum(), atol=1e-6
    )
    # components equal the right singular vectors up to sign
    np.testing.assert_allclose(np.abs(loadings.to_numpy().T), np.abs(vt), atol=1e-6)
    # the 2-D embedding is the rows' scores on the first two components
    scores = centred @ loadings.to_numpy()[:, :2]
    np.testing.assert_allclose(embedding[["x", "y"]], scores, atol=1e-5)
    assert embedding["row"].tolist() == [0, 1, 2, 3]


def test_loadings_are_orthonormal_with_one_row_per_feature() -> None:
    frame, _ = blobs()

    _, loadings, _, _ = fit_pca(frame, params(pca={"n_components": 3}))

    assert loadings.shape == (4, 3)
    assert loadings.index.tolist() == ["a", "b", "c", "d"]
    assert loadings.columns.tolist() == ["PC1", "PC2", "PC3"]
    np.testing.assert_allclose(loadings.T.to_numpy() @ loadings.to_numpy(), np.eye(3), atol=1e-5)


def orthogonal_frame() -> pd.DataFrame:
    """Centred, orthogonal columns with sums of squares 60, 30, 10: the components explain
    exactly 60 %, 30 % and 10 % of the variance."""
    return pd.DataFrame(
        {
            "big": np.sqrt(30) * np.array([1.0, -1.0, 0.0, 0.0]),
            "middle": np.sqrt(15) * np.array([0.0, 0.0, 1.0, -1.0]),
            "small": np.sqrt(2.5) * np.array([1.0, 1.0, -1.0, -1.0]),
        }
    )


@pytest.mark.parametrize(
    ("threshold", "kept"), [(0.5, 1), (0.6, 1), (0.85, 2), (0.9, 2), (0.95, 3), (1.0, 3)]
)
def test_components_by_variance_threshold(threshold: float, kept: int) -> None:
    variance, loadings, _, _ = fit_pca(
        orthogonal_frame(), params(pca={"variance_threshold": threshold})
    )

    assert variance["explained_variance_ratio"].tolist() == [0.6, 0.3, 0.1]
    assert variance["kept"].tolist() == [index < kept for index in range(3)]
    assert loadings.shape == (3, kept)


def test_more_components_than_the_data_has_is_an_error() -> None:
    with pytest.raises(InputDataError, match=r"pca\.n_components is 5.*only 3 principal"):
        fit_pca(orthogonal_frame(), params(pca={"n_components": 5}))


def test_clustering_on_pca_uses_the_kept_components() -> None:
    frame = orthogonal_frame()

    _, _, _, on_pca = fit_pca(frame, params(pca={"n_components": 2}, cluster_on="pca"))
    _, _, _, on_features = fit_pca(frame, params(pca={"n_components": 2}))

    assert on_pca.columns.tolist() == ["PC1", "PC2"]
    # the components are the big and middle columns (up to sign)
    np.testing.assert_allclose(on_pca.abs().to_numpy(), frame[["big", "middle"]].abs(), atol=1e-9)
    assert on_features is frame


# --- features -------------------------------------------------------------------------------


def supervised_preprocessor() -> Pipeline:
    transform = ColumnTransformer(
        [
            ("numeric_1", StandardScaler(), ["a", "b"]),
            ("target_2", TargetEncoder(), ["town"]),
            ("onehot_3", Pipeline([("encode", OneHotEncoder(sparse_output=False))]), ["kind"]),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline(
        [
            ("transform", transform),
            ("variance_threshold", VarianceThreshold(0.0)),
            ("mutual_information", SelectKBest(k=2)),
        ]
    ).set_output(transform="pandas")


def mixed_train(rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.normal(size=rows),
            "b": rng.normal(size=rows),
            "town": pd.Categorical(rng.choice(["n", "s"], size=rows)),
            "kind": pd.Categorical(rng.choice(["x", "y", "z"], size=rows)),
            "y": pd.Categorical(rng.choice(["good", "bad"], size=rows)),
        }
    )


def test_steps_that_need_the_target_are_recognised() -> None:
    preprocessor = supervised_preprocessor()

    assert needs_target(TargetEncoder())
    assert needs_target(Pipeline([("impute", "passthrough"), ("encode", TargetEncoder())]))
    assert needs_target(SelectKBest())
    assert not needs_target(StandardScaler())
    assert not needs_target("drop")
    assert not needs_target(preprocessor.named_steps["variance_threshold"])


def test_unsupervised_preprocessor_drops_target_encoding_and_supervised_selectors() -> None:
    original = supervised_preprocessor()

    copy, removed = unsupervised_preprocessor(original)

    assert removed == ["transform.target_2 ['town']", "mutual_information"]
    assert [name for name, _ in copy.steps] == ["transform", "variance_threshold"]
    assert copy.named_steps["transform"].get_params()["target_2"] == "drop"
    # the shared preprocessor itself is untouched
    assert isinstance(original.named_steps["transform"].get_params()["target_2"], TargetEncoder)
    assert "mutual_information" in original.named_steps


def test_prepare_features_fits_without_the_target_by_default() -> None:
    train = mixed_train()

    features = prepare_features(train, supervised_preprocessor(), params(), tabular(), SEED)

    assert features.columns.tolist() == ["a", "b", "kind_x", "kind_y", "kind_z"]
    assert features.index.name == "row"
    assert features.index.tolist() == list(range(40))
    # standardised on the training rows given: mean 0, population std 1
    np.testing.assert_allclose(features[["a", "b"]].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(features[["a", "b"]].std(ddof=0), 1, atol=1e-12)
    assert (features.dtypes == "float64").all()


def test_prepare_features_can_fit_the_supervised_steps_on_the_target() -> None:
    train = mixed_train()

    features = prepare_features(
        train,
        supervised_preprocessor(),
        params(supervised_steps="fit_with_target"),
        tabular(),
        SEED,
    )

    # target encoding kept, then the two features most informative about y
    assert features.shape == (40, 2)


def test_max_rows_segments_a_seeded_sample() -> None:
    features = prepare_features(
        mixed_train(), supervised_preprocessor(), params(max_rows=25), tabular(), SEED
    )

    assert features.index.tolist() == sample_rows(40, 25, SEED).tolist()


@pytest.mark.parametrize(
    ("overrides", "rows", "fragments"),
    [
        (
            {"k_range": {"min": 2, "max": 10}},
            9,
            [f"{KEY}.k_range.max is 10", "9 training row(s)", "at most 8"],
        ),
        (
            {"k_range": {"min": 2, "max": 5}, "max_rows": 5},
            40,
            ["k_range.max is 5", "5 training row(s)", "max_rows: 5"],
        ),
        (
            {"candidates": {"km": {"estimator": "kmeans", "params": {"n_clusters": 12}}}},
            9,
            [f"{KEY}.candidates.km.params.n_clusters is 12", "2 to 8 clusters"],
        ),
        (
            {"tsne": {"sample_size": 500, "perplexity": 30}, "k_range": {"min": 2, "max": 3}},
            20,
            [f"{KEY}.tsne.perplexity is 30.0", "only 20 row(s)"],
        ),
    ],
)
def test_sizes_the_rows_cannot_support_stop_before_any_fit(
    overrides: dict[str, Any], rows: int, fragments: list[str]
) -> None:
    class Unfittable(Pipeline):
        def fit_transform(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("fitted before the sizes were checked")

    preprocessor = Unfittable([("scale", StandardScaler())])

    with pytest.raises(InputDataError) as raised:
        prepare_features(mixed_train(rows), preprocessor, params(**overrides), tabular(), SEED)

    for fragment in fragments:
        assert fragment in str(raised.value)


def test_missing_values_after_the_preprocessor_are_named() -> None:
    train = mixed_train().assign(b=lambda frame: frame["b"].mask(frame.index == 3))

    with pytest.raises(InputDataError, match=r"preprocessed features \['b'\].*impute rule"):
        prepare_features(train, supervised_preprocessor(), params(), tabular(), SEED)


def test_a_preprocessor_with_target_encoding_only_cannot_drop_it() -> None:
    transform = ColumnTransformer([("target_1", TargetEncoder(), ["town"])])
    preprocessor = Pipeline([("transform", transform)])

    with pytest.raises(InputDataError, match=r"supervised_steps: 'drop' removes every column"):
        prepare_features(mixed_train(), preprocessor, params(), tabular(), SEED)


def test_fewer_than_two_features_is_an_error() -> None:
    with pytest.raises(InputDataError, match=r"leaves 1 feature\(s\) \['a'\].*at least two"):
        prepare_features(mixed_train(), scaler_preprocessor(["a"]), params(), tabular(), SEED)


# --- external validation --------------------------------------------------------------------


def _blob_train(frame: pd.DataFrame, truth: np.ndarray) -> pd.DataFrame:
    names = np.array(["low", "mid", "high"])
    return frame.reset_index(drop=True).assign(y=pd.Categorical(names[truth]))


def test_external_scores_are_added_for_classification(clustered_blobs: dict[str, Any]) -> None:
    train = _blob_train(clustered_blobs["frame"], clustered_blobs["truth"])
    internal = clustered_blobs["scores"]

    scores = validate_externally(
        internal, clustered_blobs["trial_labels"], train, params(), tabular(), "classification"
    )

    at_three = scores.set_index("trial").loc[["kmeans k=3", "agglomerative k=3"]]
    assert at_three["adjusted_rand"].tolist() == [1.0, 1.0]
    assert at_three["normalized_mutual_info"].tolist() == [1.0, 1.0]
    at_two = scores.set_index("trial").loc["kmeans k=2"]
    assert 0 < at_two["adjusted_rand"] < 1
    # reported only: the choice made without the target is unchanged
    pd.testing.assert_frame_equal(scores[internal.columns], internal)


def test_no_external_scores_without_class_labels(clustered_blobs: dict[str, Any]) -> None:
    train = _blob_train(clustered_blobs["frame"], clustered_blobs["truth"])
    internal = clustered_blobs["scores"]
    labels = clustered_blobs["trial_labels"]

    regression = validate_externally(internal, labels, train, params(), tabular(), "regression")
    switched_off = validate_externally(
        internal, labels, train, params(external_validation=False), tabular(), "classification"
    )

    for scores in (regression, switched_off):
        assert "adjusted_rand" not in scores.columns
        assert "normalized_mutual_info" not in scores.columns
        pd.testing.assert_frame_equal(scores, internal)


# --- profiles -------------------------------------------------------------------------------


def test_profiles_give_size_mean_and_mode_per_cluster() -> None:
    train = pd.DataFrame(
        {
            "income": [10.0, 20.0, 30.0, 100.0, 200.0, np.nan],
            "children": pd.array([0, 1, 2, 3, 3, 4], dtype="Int64"),
            "owner": [True, False, True, True, True, False],
            "home": ["rent", "rent", "own", "own", "rent", "own"],
            "unused": [1, 2, 3, 4, 5, 6],
            "y": ["a", "b", "a", "b", "a", "b"],
        }
    )
    transform = ColumnTransformer(
        [
            ("numeric_1", StandardScaler(), ["income", "children", "owner"]),
            ("onehot_2", OneHotEncoder(), ["home"]),
        ]
    )
    assignments = pd.DataFrame({"row": [0, 1, 2, 3, 4, 5], "cluster": [1, 1, 1, 0, 0, -1]})

    profiles = profile_clusters(train, assignments, Pipeline([("transform", transform)]), tabular())

    assert profiles.columns.tolist() == [
        "cluster",
        "size",
        "share",
        "income",
        "children",
        "owner",
        "home",
    ]
    rows = profiles.set_index("cluster")
    assert rows.index.tolist() == [-1, 0, 1]
    assert rows["size"].sum() == len(train)
    assert rows.loc[1, "size"] == 3
    assert rows.loc[1, "share"] == 0.5
    assert rows.loc[1, "income"] == 20.0  # (10 + 20 + 30) / 3
    assert rows.loc[1, "children"] == 1.0  # (0 + 1 + 2) / 3
    assert rows.loc[1, "owner"] == round(2 / 3, 6)  # share of True
    assert rows.loc[1, "home"] == "rent"  # rent, rent, own
    assert rows.loc[0, "income"] == 150.0
    assert rows.loc[0, "home"] == "own"  # own vs rent tie: the first in sorted order
    assert pd.isna(rows.loc[-1, "income"])  # its only row is missing
    assert rows.loc[-1, "home"] == "own"


def test_profiles_read_only_the_sampled_rows() -> None:
    train = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0], "w": [0.0, 0.0, 1.0, 1.0], "y": list("abab")})
    assignments = pd.DataFrame({"row": [1, 3], "cluster": [0, 1]})

    profiles = profile_clusters(train, assignments, scaler_preprocessor(["v", "w"]), tabular())

    assert profiles[["cluster", "size", "v", "w"]].to_dict("list") == {
        "cluster": [0, 1],
        "size": [1, 1],
        "v": [2.0, 4.0],
        "w": [0.0, 1.0],
    }


# --- t-SNE and summary ----------------------------------------------------------------------


def test_tsne_embeds_a_seeded_sample_the_same_way_every_time() -> None:
    frame, truth = blobs(n_samples=120)
    config = params(tsne={"sample_size": 60, "perplexity": 10, "max_iter": 500})

    first = embed_tsne(frame, config, SEED)
    second = embed_tsne(frame, config, SEED)

    assert first.columns.tolist() == ["row", "x", "y"]
    assert first["row"].tolist() == sample_rows(120, 60, SEED).tolist()
    pd.testing.assert_frame_equal(first, second)
    # the blobs stay apart on the map: k-means on the 2-D points finds them again
    from sklearn.cluster import KMeans

    found = KMeans(3, n_init=4, random_state=0).fit_predict(first[["x", "y"]])
    assert adjusted_rand_score(truth[first["row"]], found) == pytest.approx(1.0)


def test_summary_names_the_choice_and_each_candidates_best(
    clustered_blobs: dict[str, Any],
) -> None:
    train = _blob_train(clustered_blobs["frame"], clustered_blobs["truth"])
    scores = validate_externally(
        clustered_blobs["scores"],
        clustered_blobs["trial_labels"],
        train,
        params(),
        tabular(),
        "classification",
    )
    variance, loadings, _, _ = fit_pca(clustered_blobs["frame"], params())

    summary = summarise_segmentation(
        scores, variance, loadings, clustered_blobs["assignments"], params()
    )

    assert summary["rows"] == 150
    assert summary["features"] == 4
    assert summary["chosen"]["candidate"] == "kmeans"
    assert summary["chosen"]["k"] == 3
    assert summary["chosen"]["adjusted_rand"] == 1.0
    assert set(summary["candidates"]) == {"kmeans", "agglomerative"}
    assert summary["candidates"]["agglomerative"]["k"] == 3
    assert summary["cluster_sizes"] == {"0": 50, "1": 50, "2": 50}
    assert summary["external_validation"] is True
    assert summary["pca"]["components_kept"] == int(variance["kept"].sum())
