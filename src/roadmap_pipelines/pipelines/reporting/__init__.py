"""Roadmap step 2, exploratory data analysis: profiles, correlations and plots."""

from roadmap_pipelines.pipelines.reporting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
