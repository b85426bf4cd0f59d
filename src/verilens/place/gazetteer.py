"""Offline gazetteer (place names in Latin and Cyrillic)."""

from __future__ import annotations

from ..errors import UsageError
from ..evidence import Place


def resolve_place(text: str) -> Place:
    """Resolve a place name offline. Not yet available: give LAT,LON."""
    raise UsageError(f"{text!r}: place names are not resolved yet; give the place as LAT,LON")
