"""``verilens serve`` as a subprocess: it answers on 127.0.0.1 and stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.web.conftest import free_port


def test_serve_runs_the_app_and_stops(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "VERILENS_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from verilens.cli import main; main()", "serve", "--port", str(port),
         "--db", str(tmp_path / "cases.db")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 60
        status = None
        while time.monotonic() < end and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert status is not None, proc.stderr.read().decode() if proc.poll() is not None else "no answer"
        assert status["cases"]["available"] is True
        r = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10)
        assert r.status_code == 200 and "/api/intake" in r.json()["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert (tmp_path / "cases.db").exists()


def test_serve_refuses_a_bad_tile_url() -> None:
    from typer.testing import CliRunner

    from verilens.cli import app

    res = CliRunner().invoke(app, ["serve", "--tile-url", "ftp://tiles.example/{z}/{x}/{y}.png"])
    assert res.exit_code == 2
