"""Unsupervised learning: the clusterer registry and cluster scoring."""
