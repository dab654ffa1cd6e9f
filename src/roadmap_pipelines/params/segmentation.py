"""Schema of ``conf/base/parameters_segmentation.yml``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, PositiveInt, model_validator

from roadmap_pipelines.params.base import StrictModel

_FILE = "parameters_segmentation.yml"
_TASK = "segmentation.<task>"


class PCASpec(StrictModel):
    """How many principal components to keep: a count, or the fewest reaching a share of the
    variance. Exactly one of the two is set."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.pca")

    n_components: PositiveInt | None = None
    variance_threshold: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _one_rule(self) -> PCASpec:
        if (self.n_components is None) == (self.variance_threshold is None):
            raise ValueError(
                "set exactly one of n_components (a count) and variance_threshold (a share of "
                f"the variance in (0, 1]); got n_components={self.n_components}, "
                f"variance_threshold={self.variance_threshold}"
            )
        return self


class KRange(StrictModel):
    """The numbers of clusters tried, ``min`` to ``max`` inclusive."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.k_range")

    min: int = Field(default=2, ge=2, description="a silhouette needs at least two clusters")
    max: int = Field(default=8, ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> KRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Clusterer(StrictModel):
    """One clustering algorithm: a short name or an import path, and its fixed arguments.

    Unless ``params`` sets ``n_clusters`` (``n_components`` for mixtures), the number of
    clusters is searched over ``k_range``.
    """

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.candidates.<name>")

    estimator: str = Field(description="kmeans | agglomerative | dbscan, or an import path")
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _builds(self) -> Clusterer:
        from roadmap_pipelines.ml.clustering.clusterers import make_clusterer

        try:
            make_clusterer(self.estimator, self.params, random_state=0)
        except (TypeError, ValueError) as error:
            raise ValueError(str(error)) from None
        return self


class TSNESpec(StrictModel):
    """The t-SNE embedding drawn in the reports: on a seeded sample of rows, so it stays fast."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.tsne")

    sample_size: PositiveInt = Field(default=500, description="rows embedded (all if fewer)")
    perplexity: float = Field(default=30.0, gt=0)
    max_iter: int = Field(default=500, ge=250, description="scikit-learn needs at least 250")

    @model_validator(mode="after")
    def _perplexity_below_sample(self) -> TSNESpec:
        if self.perplexity >= self.sample_size:
            raise ValueError(
                f"perplexity ({self.perplexity}) must be less than sample_size ({self.sample_size})"
            )
        return self


class SegmentationParams(StrictModel):
    """``segmentation.<task>``: the unsupervised analysis of one task's training rows."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}")

    max_rows: PositiveInt | None = Field(
        default=None, description="a seeded sample of training rows to segment; null: all"
    )
    supervised_steps: Literal["drop", "fit_with_target"] = Field(
        default="drop",
        description="preprocessor steps that need the target (target encoders, supervised "
        "selectors): drop them, or fit them on the training target as modelling does",
    )
    pca: PCASpec = PCASpec(variance_threshold=0.9)
    cluster_on: Literal["features", "pca"] = Field(
        default="features", description="the preprocessed features or the kept components"
    )
    k_range: KRange = KRange()
    candidates: dict[str, Clusterer] = Field(min_length=1)
    select_by: Literal["silhouette", "calinski_harabasz", "davies_bouldin"] = "silhouette"
    silhouette_sample_size: PositiveInt | None = Field(
        default=1000, description="seeded sample of rows each silhouette is computed on; null: all"
    )
    tsne: TSNESpec = TSNESpec()
    external_validation: bool = Field(
        default=True,
        description="classification tasks: score clusters against the target (ARI, NMI), "
        "reported only, never used to fit or choose",
    )
