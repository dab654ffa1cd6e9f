"""The clusterer registry, and reading k clusters off one merge tree."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from roadmap_pipelines.ml.clustering.clusterers import (
    REGISTRY,
    clusterer_class,
    is_hierarchical,
    k_parameter,
    known_names,
    linkage_matrix,
    make_clusterer,
)


def test_short_names_build_the_roadmap_algorithms_with_defaults_and_the_seed() -> None:
    kmeans = make_clusterer("kmeans", {}, random_state=7)
    agglomerative = make_clusterer("agglomerative", {"linkage": "average"}, random_state=7)
    dbscan = make_clusterer("dbscan", {"eps": 0.3}, random_state=7)

    assert known_names() == ["agglomerative", "dbscan", "kmeans"] == sorted(REGISTRY)
    assert isinstance(kmeans, KMeans)
    assert (kmeans.n_init, kmeans.random_state) == (4, 7)
    assert isinstance(agglomerative, AgglomerativeClustering)
    assert agglomerative.linkage == "average"  # params override the registry's ward
    assert isinstance(dbscan, DBSCAN)
    assert dbscan.eps == 0.3
    assert is_hierarchical(agglomerative)
    assert not is_hierarchical(kmeans)


def test_an_import_path_builds_any_clusterer_and_finds_its_k_argument() -> None:
    mixture = make_clusterer(
        "sklearn.mixture.GaussianMixture", {"covariance_type": "diag"}, random_state=3
    )

    assert isinstance(mixture, GaussianMixture)
    assert mixture.random_state == 3
    assert k_parameter(GaussianMixture) == "n_components"
    assert k_parameter(KMeans) == "n_clusters"
    assert k_parameter(DBSCAN) is None
    # a seed given in params wins over the project seed
    assert make_clusterer("kmeans", {"random_state": 1}, random_state=3).random_state == 1


@pytest.mark.parametrize(
    ("name", "params", "fragments"),
    [
        ("kmedoids", {}, ["unknown clusterer 'kmedoids'", "['agglomerative', 'dbscan', 'kmeans']"]),
        ("sklearn.cluster.Nope", {}, ["'sklearn.cluster.Nope' does not import"]),
        ("nowhere.Clusterer", {}, ["package 'nowhere' is not trusted"]),
        ("sklearn.preprocessing.StandardScaler", {}, ["has no fit_predict"]),
        ("kmeans", {"clusters": 3}, ["takes no argument(s) ['clusters']", "'n_clusters'"]),
    ],
)
def test_bad_names_and_arguments_say_what_is_wrong(
    name: str, params: dict, fragments: list[str]
) -> None:
    with pytest.raises(ValueError) as raised:
        make_clusterer(name, params, random_state=0)

    for fragment in fragments:
        assert fragment in str(raised.value)


def test_clusterer_class_resolves_short_names_and_paths_alike() -> None:
    assert clusterer_class("kmeans") is clusterer_class("sklearn.cluster.KMeans") is KMeans


@pytest.mark.parametrize("method", ["ward", "complete", "average", "single"])
def test_one_tree_cut_at_k_equals_refitting_with_k_clusters(method: str) -> None:
    # segmentation fits the full tree once and cuts it with SciPy for every k
    from scipy.cluster.hierarchy import cut_tree

    points = np.random.default_rng(0).normal(size=(60, 3))
    full = AgglomerativeClustering(
        n_clusters=2, linkage=method, compute_full_tree=True, compute_distances=True
    ).fit(points)
    tree = linkage_matrix(full.children_, full.distances_, len(points))

    for k in range(1, 12):
        refit = AgglomerativeClustering(n_clusters=k, linkage=method).fit(points)
        cut = cut_tree(tree, n_clusters=k).ravel()
        assert len(np.unique(cut)) == k
        assert adjusted_rand_score(refit.labels_, cut) == 1.0, k


@pytest.mark.parametrize("method", ["ward", "complete", "average", "single"])
def test_linkage_matrix_is_scipys_linkage(method: str) -> None:
    points = np.random.default_rng(1).normal(size=(40, 4))
    fitted = AgglomerativeClustering(
        n_clusters=2, linkage=method, compute_full_tree=True, compute_distances=True
    ).fit(points)

    ours = linkage_matrix(fitted.children_, fitted.distances_, len(points))
    scipy_tree = linkage(points, method=method)

    assert ours.shape == scipy_tree.shape == (39, 4)
    np.testing.assert_allclose(ours[:, 2], scipy_tree[:, 2], rtol=1e-10)  # merge heights
    assert ours[:, 3].tolist() == scipy_tree[:, 3].tolist()  # sizes of the merged clusters
    assert ours[-1, 3] == len(points)
    for k in (2, 3, 5, 8):
        scipy_labels = fcluster(scipy_tree, k, criterion="maxclust")
        assert adjusted_rand_score(scipy_labels, fcluster(ours, k, criterion="maxclust")) == 1.0
