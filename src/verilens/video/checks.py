"""Checks of the video domain (registered on import by verilens.pipeline)."""
