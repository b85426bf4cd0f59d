"""Fixtures of the web tests: a real case store, an in-process client, a live server, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CHROMIUM = os.environ.get("VERILENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
#: Checks run by the web tests: fast ones, enough for heatmaps, metadata and timestamps.
FAST_CHECKS = {"metadata.basic", "forensics.ela"}


def fast_checks() -> set[str]:
    """The fast checks that are registered here (others may not be installed yet)."""
    from verilens.pipeline import load_checks

    return {c for c in FAST_CHECKS | {"metadata.timestamps", "c2pa.manifest"} if c in load_checks()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from verilens.case import CaseStore

    s = CaseStore(str(tmp_path / "cases.db"))
    yield s
    s.close()


@pytest.fixture
def app(store: Any) -> Any:
    from verilens.web.app import WebConfig, create_app

    return create_app(WebConfig(checks=fast_checks()), store=store)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(app) as c:
        c.token = c.get("/api/csrf").json()["token"]  # type: ignore[attr-defined]
        yield c


def wait_job(client: Any, job_url: str, timeout: float = 120.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(job_url).json()
        if job["state"] in ("done", "error"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_url} did not finish in {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving the app in a thread of this process on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        end = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > end or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over its own case database; checks limited to the fast ones."""
    from verilens.case import CaseStore
    from verilens.web.app import WebConfig, create_app

    folder = tmp_path_factory.mktemp("web-live")
    os.environ.setdefault("VERILENS_HOME", str(folder / "home"))
    store = CaseStore(str(folder / "cases.db"))
    # VERILENS_WEB_TEST_ALL_CHECKS=1 runs every default check (slower; used for screenshots)
    checks = None if os.environ.get("VERILENS_WEB_TEST_ALL_CHECKS") else fast_checks()
    app = create_app(WebConfig(checks=checks), store=store)
    with LiveServer(app) as srv:
        yield srv
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium not found at {CHROMIUM} (run ./setup.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    p = ctx.new_page()
    p.set_default_timeout(60_000)
    yield p
    ctx.close()


def wait_until(page: Any, js: str, timeout: float = 60.0) -> None:
    """Poll a JavaScript expression until truthy (``wait_for_function`` needs eval, which
    the app's Content-Security-Policy forbids)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if page.evaluate(js):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {js}")
