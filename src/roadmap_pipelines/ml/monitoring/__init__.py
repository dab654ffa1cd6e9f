"""Drift between an incoming batch and the training reference."""
