"""Request-level safety for the local web app: body size caps, CSRF tokens, host checks,
and the Content-Security-Policy that forbids inline script."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def tile_origin(url: str | None) -> str | None:
    """The ``scheme://host[:port]`` of a tile URL template, for the CSP (None if unusable)."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = url.split("//", 1)[1].split("/", 1)[0]
    return f"{parts.scheme}://{host}"


def csp(tile_url: str | None) -> str:
    img = "'self' data: blob:"
    origin = tile_origin(tile_url)
    if origin:
        img += " " + origin.replace("{s}", "*")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src {img}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


class BodyLimit:
    """Refuse request bodies over a cap with 413, counting bytes as they arrive.

    ``upload_limit`` applies to the upload endpoints (paths in ``upload_paths``), ``limit``
    to every other request. A declared Content-Length over the cap is refused before any
    byte is read; a chunked body is cut off as soon as it passes the cap.
    """

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int,
                 is_upload: Callable[[str], bool]) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.is_upload = is_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.upload_limit if self.is_upload(scope.get("path", "")) else self.limit
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > cap or declared < 0:
                    await _too_large(send, cap)
                    return
        seen = 0
        sent_start = False

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > cap:
                    raise _BodyTooLarge()
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal sent_start
            if msg["type"] == "http.response.start":
                sent_start = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not sent_start:
                await _too_large(send, cap)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, cap: int) -> None:
    body = (f'{{"detail": "request body over the limit of {cap / 2**20:.0f} MiB '
            f'(VERILENS_WEB_MAX_UPLOAD_MB)"}}').encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
