"""The library layer: machine-learning code by roadmap domain.

Nothing under ``ml`` imports Kedro or any pipeline (an import-linter contract checks it), so
every function here can be used and tested on plain pandas/NumPy data. Pipelines adapt
catalog data to these calls.
"""
