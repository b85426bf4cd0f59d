"""Limits and locations, with defaults a newsroom laptop can live with.

Every limit can be changed per call (``Limits(...)``), from the CLI, or by environment
variables ``VERILENS_MAX_FILE_MB``, ``VERILENS_MAX_PIXELS``, ``VERILENS_MAX_FRAMES``,
``VERILENS_MAX_VIDEO_S`` and ``VERILENS_MAX_DOWNLOAD_MB``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """Bounds applied to every input before it is decoded.

    Attributes
    ----------
    max_file_bytes : int
        Largest file accepted, in bytes (default 2 GiB; videos are large).
    max_image_bytes : int
        Largest still image accepted, in bytes (default 256 MiB).
    max_pixels : int
        Largest width x height decoded (default 200 megapixels). Declared sizes above it are
        refused before any pixel is decoded, which is what stops decompression bombs.
    max_frames : int
        Most frames accepted in an animated image, or declared in a video stream.
    max_video_s : float
        Longest video accepted, in seconds (default 4 hours).
    max_download_bytes : int
        Largest download accepted from a URL (default 512 MiB).
    max_redirects : int
        Redirects followed for a URL.
    download_timeout_s : float
        Connect/read timeout per network operation; the whole download also has
        ``download_deadline_s``.
    allow_private_urls : bool
        Allow URLs that resolve to private, loopback or link-local addresses (off by
        default: a URL in a tip could otherwise probe the newsroom's own network).
    """

    max_file_bytes: int = 2 * 1024**3
    max_image_bytes: int = 256 * 1024**2
    max_pixels: int = 200_000_000
    max_frames: int = 10_000
    max_video_s: float = 4 * 3600.0
    max_download_bytes: int = 512 * 1024**2
    max_redirects: int = 5
    download_timeout_s: float = 20.0
    download_deadline_s: float = 300.0
    allow_private_urls: bool = False

    @classmethod
    def from_env(cls) -> Limits:
        d = cls()
        return replace(
            d,
            max_file_bytes=int(_env_float("VERILENS_MAX_FILE_MB", d.max_file_bytes / 2**20) * 2**20),
            max_pixels=int(_env_float("VERILENS_MAX_PIXELS", d.max_pixels)),
            max_frames=int(_env_float("VERILENS_MAX_FRAMES", d.max_frames)),
            max_video_s=_env_float("VERILENS_MAX_VIDEO_S", d.max_video_s),
            max_download_bytes=int(
                _env_float("VERILENS_MAX_DOWNLOAD_MB", d.max_download_bytes / 2**20) * 2**20
            ),
        )


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the system tells it, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def home() -> Path:
    """The working area: downloads, run artifacts, the default archive and case database.

    ``VERILENS_HOME`` overrides the default ``~/.local/share/verilens``.
    """
    base = os.environ.get("VERILENS_HOME")
    path = Path(base) if base else Path.home() / ".local" / "share" / "verilens"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Settings:
    """Everything a run needs to know besides its inputs."""

    limits: Limits = field(default_factory=Limits.from_env)
    workdir: Path = field(default_factory=lambda: home() / "work")
