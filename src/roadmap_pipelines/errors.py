"""Errors the project raises for bad input, so callers and tests can tell them apart."""


class InputDataError(ValueError):
    """An input dataset does not meet what its parameters declare."""
