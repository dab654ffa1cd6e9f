"""Project tooling: the task registry, CLI implementations (nothing here is a pipeline)."""
