"""Project tooling: run safety (lock, journal), configuration checks, model file integrity."""
