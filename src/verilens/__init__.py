"""verilens: an offline-first verification workbench for photos and videos.

The public API::

    import verilens
    for report in verilens.check("photo.jpg", claim_place="Kherson", claim_time="2022-11-11"):
        print(report.questions["manipulation"].summary)

Names are imported on first use, so that ``verilens --version`` and other light commands
start quickly.
"""

from __future__ import annotations

from typing import Any

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "check": "verilens.api",
    "check_item": "verilens.api",
    "Answer": "verilens.evidence",
    "Artifact": "verilens.evidence",
    "CheckResult": "verilens.evidence",
    "Claim": "verilens.evidence",
    "Confidence": "verilens.evidence",
    "Finding": "verilens.evidence",
    "Question": "verilens.evidence",
    "Report": "verilens.evidence",
    "State": "verilens.evidence",
    "open_media": "verilens.intake",
    "Options": "verilens.pipeline",
    "Archive": "verilens.provenance",
    "CaseStore": "verilens.case",
}

__all__ = sorted([*_EXPORTS, "__version__", "open_case", "open_archive"])


def open_case(db: str | None = None) -> Any:
    """The case store (``verilens.case.CaseStore``): a path or database URL, default in ``$VERILENS_HOME``."""
    from .case import CaseStore

    return CaseStore(db)


def open_archive(db: str | None = None) -> Any:
    """The provenance archive (``verilens.provenance.Archive``): a path or URL, default in ``$VERILENS_HOME``."""
    from .provenance import Archive

    return Archive.open(db)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
