"""Checks of the provenance domain (registered on import by verilens.pipeline)."""
