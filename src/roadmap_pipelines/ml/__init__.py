"""Library layer: machine-learning code that imports neither Kedro nor any pipeline."""
