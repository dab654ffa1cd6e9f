"""Roadmap step 2, data preprocessing: collect, validate, clean and split."""

from roadmap_pipelines.pipelines.preprocessing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
