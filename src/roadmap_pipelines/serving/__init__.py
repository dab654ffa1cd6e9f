"""The prediction service: a FastAPI app over the training run's artifacts (``make serve``)."""
