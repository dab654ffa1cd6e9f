"""Project tooling around the pipelines: the task registry, hooks, run safety (lock, journal),
configuration checks, model file integrity, DVC stage generation, pickling and datasets.

This layer may import Kedro; the library layer (``roadmap_pipelines.ml``) may not import it.
"""
