"""The local web app (FastAPI): intake, cases, items, the shadow tool and the REST API.

``create_app()`` builds the application; ``verilens serve`` runs it on 127.0.0.1. Imported
lazily so that the command line does not load the web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WebConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
