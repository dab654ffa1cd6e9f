"""Project tooling: what runs around the pipelines (environment, DVC, CLI)."""
