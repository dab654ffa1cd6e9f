"""Roadmap step "Training and Evaluation" for a table larger than one machine: LightGBM trained
across a Dask cluster (``lightgbm.dask``) for the tasks that ask for it in
``parameters_modelling_tabular_dask.yml``."""

from roadmap_pipelines.pipelines.modelling_tabular_dask.pipeline import create_pipeline

__all__ = ["create_pipeline"]
