"""Tabular models after training: the deployable scorer."""
