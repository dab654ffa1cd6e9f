"""Principal component analysis of a feature matrix, as tables: explained variance, loadings
and each row's scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.trials import DECIMALS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Components:
    """A fitted PCA as tables.

    Attributes:
        variance: One row per component: ``component``, ``explained_variance``,
            ``explained_variance_ratio``, ``cumulative_ratio`` and ``kept``.
        loadings: One row per feature, one column per kept component (``PC1`` …): the
            unit-length weights of each component (rows of ``PCA.components_``).
        scores: Every row's scores on every component.
        names: The components' names, ``PC1`` onwards.
        kept: How many components are kept.
    """

    variance: pd.DataFrame
    loadings: pd.DataFrame
    scores: np.ndarray
    names: list[str]
    kept: int


def principal_components(
    features: pd.DataFrame,
    n_components: int | None,
    variance_threshold: float | None,
    where: str,
) -> Components:
    """Fit an exact PCA and keep ``n_components``, or the fewest components whose cumulative
    explained variance reaches ``variance_threshold`` (exactly one of the two is set).

    Raises:
        InputDataError: If ``n_components`` exceeds the components the data has; ``where``
            names the parameters.
    """
    import numpy as np
    import pandas as pd
    from sklearn.decomposition import PCA

    # "full": exact LAPACK SVD, so the output is deterministic and equals numpy's SVD
    pca = PCA(svd_solver="full").fit(features.to_numpy())
    ratios = pca.explained_variance_ratio_
    cumulative = np.cumsum(ratios)
    available = len(ratios)
    if n_components is not None:
        kept = n_components
        if kept > available:
            raise InputDataError(
                f"{where}.pca.n_components is {kept}, but {features.shape[0]} rows of "
                f"{features.shape[1]} features have only {available} principal components"
            )
    else:
        # the fewest components reaching the threshold (floating sums may end a hair short)
        assert variance_threshold is not None  # PCASpec sets exactly one of the two
        reached = np.flatnonzero(cumulative >= variance_threshold - 1e-9)
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
    return Components(variance, loadings, pca.transform(features.to_numpy()), names, kept)
