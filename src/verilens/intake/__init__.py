"""Intake: sniffing, limits, safe decoding, URL download."""

from .collect import Source, iter_sources
from .media import MediaItem, open_media, sha256_file
from .sniff import SUPPORTED, Sniffed, sniff
from .url import download, is_url

__all__ = ["MediaItem", "SUPPORTED", "Sniffed", "Source", "download", "is_url", "iter_sources",
           "open_media", "sha256_file", "sniff"]
