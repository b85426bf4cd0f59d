"""PDF of the HTML report through headless Chromium (print to PDF).

Chromium runs with a fresh profile, no network services (background networking,
component updates, sync off) and the report's own Content-Security-Policy, so printing
cannot reach the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import VerilensError

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser",
                       "google-chrome")
TIMEOUT_S = 180.0


class PdfUnavailable(VerilensError):
    """No Chromium to print with, or it failed."""


def find_chromium() -> str | None:
    env = os.environ.get("VERILENS_CHROMIUM")
    if env:
        return env
    for c in CHROMIUM_CANDIDATES:
        p = shutil.which(c) if not c.startswith("/") else (c if os.access(c, os.X_OK) else None)
        if p:
            return p
    return None


def html_to_pdf(html: str, out_path: Path, timeout_s: float = TIMEOUT_S) -> Path:
    """Print an HTML document to ``out_path`` as PDF (A4, backgrounds on, no header/footer).

    Raises
    ------
    PdfUnavailable
        Chromium is not installed, fails, times out, or writes no PDF.
    """
    exe = find_chromium()
    if exe is None:
        raise PdfUnavailable("PDF export needs Chromium (Debian package 'chromium'); export html instead")
    out_path = Path(out_path).resolve()
    with tempfile.TemporaryDirectory(prefix="verilens-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
               "--no-default-browser-check", "--disable-features=Translate,MediaRouter,OptimizationHints",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={target}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, cwd=tmp,
                                  env={**os.environ, "HOME": tmp})
        except subprocess.TimeoutExpired as exc:
            raise PdfUnavailable(f"Chromium did not finish printing within {timeout_s:.0f} s") from exc
        except OSError as exc:
            raise PdfUnavailable(f"cannot run Chromium ({exe}): {exc}") from exc
        if not target.is_file() or target.stat().st_size < 100 or not target.read_bytes()[:5] == b"%PDF-":
            tail = proc.stderr.decode("utf-8", "replace")[-500:]
            raise PdfUnavailable(f"Chromium wrote no PDF (exit {proc.returncode}): {tail}")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), out_path)
    return out_path
