"""Project tooling: loading the training run's artifacts for deployment, CLI implementations."""
