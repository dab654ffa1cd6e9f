"""Feature creation shared by training, batch inference and serving."""
