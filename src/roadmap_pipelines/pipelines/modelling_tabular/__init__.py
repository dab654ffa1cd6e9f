"""Roadmap steps "Model Selection", "Training and Evaluation" and "Model Optimization" for
tabular data: candidates cross-validated and searched, the best refit, tested and saved."""

from roadmap_pipelines.pipelines.modelling_tabular.pipeline import create_pipeline

__all__ = ["create_pipeline"]
