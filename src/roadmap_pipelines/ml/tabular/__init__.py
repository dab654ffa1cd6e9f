"""Tabular supervised learning: the estimator registry, cross-validated search and metrics."""
