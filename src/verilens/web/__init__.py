"""The local web app (FastAPI): intake, cases, items, the shadow tool and the REST API.

``create_app()`` builds the application; ``verilens serve`` runs it on 127.0.0.1.
"""

from __future__ import annotations

from .app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
