"""Roadmap step "Unsupervised learning": PCA, k-means, hierarchical clustering (and any
scikit-learn clusterer), their scores, cluster profiles and t-SNE / PCA maps."""

from roadmap_pipelines.pipelines.segmentation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
