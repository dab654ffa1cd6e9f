"""The clusterer registry: short names for the roadmap's clustering algorithms, or any import path.

``make_clusterer("kmeans", {"n_init": 4}, random_state=42)`` builds a configured, unfitted
scikit-learn clusterer. A name containing a dot is imported (``sklearn.cluster.Birch``,
``sklearn.mixture.GaussianMixture``…): a class with ``fit_predict`` from a trusted package.
Classes are imported only when built, so listing the registry stays cheap.

The number of clusters is the class's ``n_clusters`` argument (``n_components`` for mixture
models): the segmentation pipeline searches it over ``k_range`` unless the parameters fix it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.import_policy import import_class

if TYPE_CHECKING:
    import numpy as np

K_PARAMETERS = ("n_clusters", "n_components")


@dataclass(frozen=True)
class Entry:
    """One short name: its class and the defaults it starts from."""

    path: str
    defaults: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, Entry] = {
    "kmeans": Entry("sklearn.cluster.KMeans", {"n_init": 4}),
    "agglomerative": Entry("sklearn.cluster.AgglomerativeClustering", {"linkage": "ward"}),
    "dbscan": Entry("sklearn.cluster.DBSCAN"),
}


def known_names() -> list[str]:
    """The short names, sorted."""
    return sorted(REGISTRY)


def clusterer_class(name: str) -> type:
    """Resolve a short name or an import path to a clusterer class.

    Raises:
        ValueError: If the name is unknown, names a package that is not trusted
            (``roadmap_pipelines.ml.import_policy``), does not import, or names a class
            without ``fit_predict``.
    """
    if "." not in name:
        if name not in REGISTRY:
            raise ValueError(
                f"unknown clusterer '{name}'; known: {known_names()}, or give an import path "
                "such as sklearn.cluster.Birch"
            )
        path = REGISTRY[name].path
    else:
        path = name
    return import_class(path, "clusterer", ("fit", "fit_predict"))


def k_parameter(cls: type) -> str | None:
    """The argument of ``cls`` that sets the number of clusters, or ``None`` (DBSCAN)."""
    accepted = inspect.signature(cls).parameters
    return next((name for name in K_PARAMETERS if name in accepted), None)


def make_clusterer(name: str, params: dict[str, Any], random_state: int) -> Any:
    """Build an unfitted clusterer from its name and keyword arguments.

    The project seed goes to every class that takes ``random_state`` unless ``params`` sets it.

    Args:
        name: A short name or an import path.
        params: Keyword arguments for the class (over the registry's defaults).
        random_state: The project seed.

    Returns:
        The clusterer.

    Raises:
        ValueError: If the name does not resolve, ``params`` names an argument the class does
            not take (the message lists the ones it does), or the class refuses a value.
    """
    cls = clusterer_class(name)
    accepted = set(inspect.signature(cls).parameters)
    entry = REGISTRY.get(name)
    arguments = {**(entry.defaults if entry else {}), **params}
    unknown = sorted(set(arguments) - accepted)
    if unknown:
        raise ValueError(
            f"clusterer '{name}' ({cls.__name__}) takes no argument(s) {unknown}; it takes "
            f"{sorted(accepted)}"
        )
    if "random_state" in accepted and "random_state" not in arguments:
        arguments["random_state"] = random_state
    return cls(**arguments)


def is_hierarchical(clusterer: Any) -> bool:
    """Whether ``clusterer`` builds a merge tree (agglomerative clustering): one fit serves
    every number of clusters, and the tree is the dendrogram."""
    from sklearn.cluster import AgglomerativeClustering

    return isinstance(clusterer, AgglomerativeClustering)


def linkage_matrix(children: np.ndarray, distances: np.ndarray, n_leaves: int) -> np.ndarray:
    """SciPy's linkage matrix (left, right, distance, size) of a scikit-learn merge tree."""
    import numpy as np

    sizes = np.ones(n_leaves + len(children), dtype=np.int64)
    for index, (left, right) in enumerate(children):
        sizes[n_leaves + index] = sizes[left] + sizes[right]
    return np.column_stack([children[:, 0], children[:, 1], distances, sizes[n_leaves:]]).astype(
        float
    )
