"""Wire the segmentation nodes per tabular task: preprocessed training features → PCA →
clustering candidates and their scores → external validation, profiles, t-SNE, summary."""

from kedro.pipeline import Node, Pipeline

from roadmap_pipelines.pipelines.segmentation.nodes import (
    cluster_candidates,
    embed_tsne,
    fit_pca,
    prepare_features,
)
from roadmap_pipelines.pipelines.segmentation.profile_nodes import (
    profile_clusters,
    summarise_segmentation,
    validate_externally,
)
from roadmap_pipelines.project.numeric_env import BLAS_TAG
from roadmap_pipelines.project.tasks import for_each_task

SEGMENTATION = "params:segmentation"
TABULAR = "params:task"
PROBLEM = "params:problem"
SEED = "params:random_state"
TAGS = ["segmentation"]


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``segmentation`` pipeline, once per tabular task.

    Args:
        **kwargs: ``tasks``: task names (default: those the configuration declares).
    """
    # tagged: its fits go through BLAS, whose kernel (chosen per CPU) moves their last bits
    tasks = for_each_task(
        _segmentation(),
        task_parameters=("segmentation",),
        shared=(SEED,),
        tasks=kwargs.get("tasks"),
    )
    return Pipeline(tasks, tags=BLAS_TAG)


def _segmentation() -> Pipeline:
    return Pipeline(
        [
            Node(
                prepare_features,
                ["feature_train", "feature_preprocessor", SEGMENTATION, TABULAR, SEED],
                "segmentation_features",
                name="prepare_segmentation_features",
            ),
            Node(
                fit_pca,
                ["segmentation_features", SEGMENTATION],
                ["pca_variance", "pca_loadings", "pca_embedding", "clustering_input"],
                name="fit_pca",
            ),
            # the target is not an input: clusters and the choice of k never see it
            Node(
                cluster_candidates,
                ["clustering_input", SEGMENTATION, SEED],
                [
                    "cluster_trial_labels",
                    "cluster_internal_scores",
                    "cluster_assignments",
                    "dendrogram",
                ],
                name="cluster_candidates",
            ),
            Node(
                validate_externally,
                [
                    "cluster_internal_scores",
                    "cluster_trial_labels",
                    "feature_train",
                    SEGMENTATION,
                    TABULAR,
                    PROBLEM,
                ],
                "cluster_scores",
                name="validate_externally",
            ),
            Node(
                profile_clusters,
                ["feature_train", "cluster_assignments", "feature_preprocessor", TABULAR],
                "cluster_profiles",
                name="profile_clusters",
            ),
            Node(
                embed_tsne,
                ["clustering_input", SEGMENTATION, SEED],
                "tsne_embedding",
                name="embed_tsne",
            ),
            Node(
                summarise_segmentation,
                [
                    "cluster_scores",
                    "pca_variance",
                    "pca_loadings",
                    "cluster_assignments",
                    SEGMENTATION,
                ],
                "segmentation_summary",
                name="summarise_segmentation",
            ),
        ],
        tags=TAGS,
    )
