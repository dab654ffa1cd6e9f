"""Library layer: imports neither Kedro nor any pipeline."""
