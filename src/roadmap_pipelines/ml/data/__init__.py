"""Data validation and cleaning helpers: declared schemas, timestamps, data-quality records."""
