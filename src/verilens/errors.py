"""One exception tree for the whole project.

Every message is written for the person at the desk: what went wrong with which input and,
where there is one, what to do about it.
"""

from __future__ import annotations


class VerilensError(Exception):
    """Base of every error verilens raises on purpose."""


class InputError(VerilensError):
    """An input cannot be read: missing, unreadable, truncated or malformed."""


class UnsupportedMedia(InputError):
    """The bytes are not a format verilens reads (the type is sniffed, never guessed)."""


class LimitExceeded(InputError):
    """An input is over a configured limit (file size, pixels, frames, duration)."""


class NetworkRefused(InputError):
    """A URL was refused before any byte was fetched (scheme, private address, redirects)."""


class DownloadError(InputError):
    """A URL could not be downloaded (HTTP error, timeout, size cap)."""


class CheckUnavailable(VerilensError):
    """A check cannot run here (missing tool, model or input); reported as its state."""


class CheckTimeout(VerilensError):
    """A check ran past its time budget."""


class UsageError(VerilensError):
    """The command was called wrongly (bad place, bad time, bad option)."""
