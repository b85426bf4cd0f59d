"""Checks of the place domain (registered on import by verilens.pipeline)."""
