"""Roadmap steps "Data Transformation" and "Feature Engineering": row-wise feature creation
and the feature preprocessor (imputation, scaling, encoding, polynomial terms, selection)."""

from roadmap_pipelines.pipelines.feature_engineering.pipeline import create_pipeline

__all__ = ["create_pipeline"]
