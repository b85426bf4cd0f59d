"""URL intake against a local HTTP server (the private-address switch on, as a user would)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.media import natural_image, write_jpeg
from verilens.config import Limits
from verilens.errors import DownloadError, NetworkRefused
from verilens.intake.url import download, resolve_checked

ALLOW = replace(Limits(), allow_private_urls=True, download_timeout_s=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("www")
    write_jpeg(root / "photo.jpg", natural_image(64, 48))
    (root / "page.jpg").write_text("<html>not an image</html>")
    (root / "big.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 300_000)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, directory=str(root), **kw)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/loop"):
                n = int(self.path.removeprefix("/loop") or 0)
                self.send_response(302)
                self.send_header("Location", f"/loop{n + 1}")
                self.end_headers()
                return
            if self.path == "/redirect":
                self.send_response(301)
                self.send_header("Location", "/photo.jpg")
                self.end_headers()
                return
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_sniffs_bytes(server: str, tmp_path: Path) -> None:
    dl = download(f"{server}/photo.jpg", tmp_path, ALLOW)
    assert dl.path.exists() and dl.path.suffix == ".jpeg" and dl.size_bytes == dl.path.stat().st_size


def test_redirect_followed_and_bounded(server: str, tmp_path: Path) -> None:
    assert download(f"{server}/redirect", tmp_path, ALLOW).final_url.endswith("/photo.jpg")
    with pytest.raises(NetworkRefused, match="redirects"):
        download(f"{server}/loop0", tmp_path, ALLOW)


def test_loopback_refused_by_default(server: str, tmp_path: Path) -> None:
    with pytest.raises(NetworkRefused, match="private, loopback or link-local"):
        download(f"{server}/photo.jpg", tmp_path, Limits())
    assert not list(tmp_path.iterdir())


def test_resolved_addresses_checked_not_names() -> None:
    with pytest.raises(NetworkRefused):
        resolve_checked("localhost", 80, allow_private=False)
    for literal in ("169.254.169.254", "10.0.0.1", "::1", "0.0.0.0"):
        with pytest.raises(NetworkRefused):
            resolve_checked(literal, 80, allow_private=False)


def test_size_cap_and_non_media(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="limit"):
        download(f"{server}/big.jpg", tmp_path, replace(ALLOW, max_download_bytes=100_000))
    with pytest.raises(DownloadError, match="not an image or video"):
        download(f"{server}/page.jpg", tmp_path, ALLOW)
    with pytest.raises(DownloadError, match="404"):
        download(f"{server}/missing.jpg", tmp_path, ALLOW)


def test_other_schemes_refused(tmp_path: Path) -> None:
    with pytest.raises(NetworkRefused, match="http and https"):
        download("file:///etc/passwd", tmp_path, ALLOW)
