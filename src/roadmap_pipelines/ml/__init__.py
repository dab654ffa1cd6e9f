"""Library layer: the roadmap's steps as plain functions; imports neither Kedro nor a pipeline."""
