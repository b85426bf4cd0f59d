"""verilens: an offline-first verification workbench for photos and videos.

The public API::

    import verilens
    for report in verilens.check("photo.jpg", claim_place="Kherson", claim_time="2022-11-11"):
        print(report.questions["manipulation"].summary)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import check, check_item  # noqa: E402
from .evidence import (  # noqa: E402
    Answer,
    Artifact,
    CheckResult,
    Claim,
    Confidence,
    Finding,
    Question,
    Report,
    State,
)
from .intake import open_media  # noqa: E402
from .pipeline import Options  # noqa: E402

__all__ = [
    "Answer", "Artifact", "CheckResult", "Claim", "Confidence", "Finding", "Options", "Question",
    "Report", "State", "__version__", "check", "check_item", "open_media",
]
