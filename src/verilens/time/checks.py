"""Checks of the time domain (registered on import by verilens.pipeline)."""
