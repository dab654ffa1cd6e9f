"""Project tooling around the pipelines: hooks, DVC stage generation, pickling and datasets.

This layer may import Kedro; the library layer (``roadmap_pipelines.ml``) may not import it.
"""
