"""roadmap-pipelines: the machine-learning roadmap as configurable Kedro pipelines."""

__version__ = "0.1.0"
