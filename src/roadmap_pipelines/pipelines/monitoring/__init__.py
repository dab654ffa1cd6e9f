"""Roadmap step "Model deployment", monitoring part: drift of each task's scored batch
against its training reference, performance when labels arrive, and a retrain flag."""

from roadmap_pipelines.pipelines.monitoring.pipeline import create_pipeline

__all__ = ["create_pipeline"]
