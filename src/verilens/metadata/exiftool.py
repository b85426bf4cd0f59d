"""The exiftool bridge: one long-running exiftool process, shared by all checks.

exiftool (Phil Harvey) reads every EXIF/XMP/IPTC/MakerNote/ICC/QuickTime tag; it runs in
``-stay_open`` mode through PyExifTool so a batch pays its start-up once.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import CheckUnavailable

#: Arguments every call uses: group names with family 1 (``ExifIFD:DateTimeOriginal``),
#: numbers not prose (``-n``), JSON out, large files allowed, UTF-8 for names and values.
COMMON_ARGS = ["-G1", "-n", "-j", "-api", "largefilesupport=1", "-charset", "filename=utf8"]

#: A single exiftool call taking longer than this kills and restarts the process.
CALL_TIMEOUT_S = 60.0


def exiftool_path() -> str | None:
    """Where the exiftool executable is, or None."""
    return shutil.which(os.environ.get("VERILENS_EXIFTOOL", "exiftool"))


class ExifToolBridge:
    """A thread-safe handle on one ``exiftool -stay_open`` process.

    Notes
    -----
    Calls are serialised by a lock. A call that runs past ``call_timeout_s`` kills the
    process (so a hostile file cannot hang the batch); the next call starts a new one.
    File names containing a newline cannot pass through exiftool's argument file and are
    read through a temporary symbolic link.
    """

    def __init__(self, call_timeout_s: float = CALL_TIMEOUT_S) -> None:
        self._lock = threading.Lock()
        self._et: Any = None
        self.call_timeout_s = call_timeout_s
        self.version: str | None = None

    def _ensure(self) -> Any:
        if self._et is not None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "process ... died": handled by restarting
                if self._et.running:
                    return self._et
        exe = exiftool_path()
        if exe is None:
            raise CheckUnavailable(
                "exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)"
            )
        import exiftool

        et = exiftool.ExifTool(executable=exe, common_args=list(COMMON_ARGS), encoding="utf-8")
        _start_in_owner_thread(et)
        self._et = et
        self.version = str(et.version)
        return et

    def read(self, paths: Sequence[str | os.PathLike[str]], extra_args: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Read the tags of several files in one exiftool call.

        Parameters
        ----------
        paths : sequence of path-like
        extra_args : sequence of str
            More exiftool options, e.g. ``["-ee"]`` for embedded video metadata.

        Returns
        -------
        list of dict
            One ``{"Group:Tag": value}`` dict per path, in order. A file exiftool cannot
            read gets a dict with ``"ExifTool:Error"``.
        """
        if not paths:
            return []
        with self._lock, tempfile.TemporaryDirectory(prefix="vl-et-") as tmp:
            names = []
            for i, p in enumerate(paths):
                s = os.fspath(p)
                if "\n" in s or "\r" in s:
                    link = Path(tmp) / f"f{i}"
                    link.symlink_to(Path(s).resolve())
                    s = str(link)
                names.append(s)
            et = self._ensure()
            timer = threading.Timer(self.call_timeout_s, self._kill)
            timer.start()
            try:
                out = et.execute(*extra_args, *names)
            except Exception as exc:
                self._kill()
                raise CheckUnavailable(f"exiftool failed: {exc}") from exc
            finally:
                timer.cancel()
        try:
            rows = json.loads(out) if out.strip() else []
        except json.JSONDecodeError as exc:
            raise CheckUnavailable(f"exiftool returned unreadable output: {exc}") from exc
        by_name = {r.get("SourceFile"): r for r in rows if isinstance(r, dict)}
        result = []
        for s, orig in zip(names, paths, strict=True):
            row = by_name.get(s)
            if row is None:
                row = {"ExifTool:Error": "exiftool returned nothing for this file"}
            row = dict(row)
            row["SourceFile"] = os.fspath(orig)
            result.append(row)
        return result

    def read_one(self, path: str | os.PathLike[str], extra_args: Sequence[str] = ()) -> dict[str, Any]:
        return self.read([path], extra_args)[0]

    def _kill(self) -> None:
        et = self._et
        self._et = None
        if et is None:
            return
        try:
            proc = getattr(et, "_process", None)
            if proc is not None:
                proc.kill()
                proc.wait(timeout=5)
                for pipe in (proc.stdin, proc.stdout, proc.stderr):
                    if pipe is not None:
                        pipe.close()
            et._running = False  # so the wrapper's finaliser does not try to stop it again
        except Exception:
            pass

    def close(self) -> None:
        import warnings

        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            et, self._et = self._et, None
            if et is not None:
                try:
                    et.terminate()
                except Exception:
                    self._et = et
                    self._kill()


def _start_in_owner_thread(et: Any) -> None:
    """Start exiftool from a thread that lives as long as the process.

    PyExifTool asks Linux to end exiftool when the thread that started it exits
    (``PR_SET_PDEATHSIG``); checks run in short-lived worker threads, so the process is
    started from a dedicated thread that waits for it.
    """
    started = threading.Event()
    errors: list[BaseException] = []

    def owner() -> None:
        try:
            et.run()
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)
            started.set()
            return
        started.set()
        proc = getattr(et, "_process", None)
        if proc is not None:
            proc.wait()

    threading.Thread(target=owner, name="exiftool-owner", daemon=True).start()
    started.wait()
    if errors:
        raise CheckUnavailable(f"exiftool could not be started: {errors[0]}")


_default: ExifToolBridge | None = None
_default_lock = threading.Lock()


def bridge() -> ExifToolBridge:
    """The process-wide bridge (started on first use, stopped at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ExifToolBridge()
            atexit.register(_default.close)
        return _default
