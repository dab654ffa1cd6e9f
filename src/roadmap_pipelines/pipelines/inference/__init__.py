"""Roadmap step "Model deployment", batch part: score each task's new raw batch with its
training run's artifacts (the same validation, cleaning, features and model)."""

from roadmap_pipelines.pipelines.inference.pipeline import create_pipeline

__all__ = ["create_pipeline"]
