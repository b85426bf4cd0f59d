"""A content-addressed, read-only store of originals and artifacts, keyed by SHA-256.

``ROOT/ab/cdef…`` holds the bytes whose SHA-256 is ``abcdef…``; files are written once
(to a temporary name, fsynced, then renamed) and made read-only. Storing the same bytes
twice is a no-op. Reading back re-hashes, so a changed file is detected.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from ..intake.media import sha256_file

_CHUNK = 1 << 20


class BlobStore:
    """Originals (and report pictures) by SHA-256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put_file(self, src: Path, expected_sha256: str | None = None) -> tuple[str, int]:
        """Copy ``src`` into the store; return ``(sha256, size)``.

        Raises
        ------
        ValueError
            The bytes read do not hash to ``expected_sha256`` (the file changed after it
            was opened).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                while chunk := fin.read(_CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    fout.write(chunk)
                fout.flush()
                os.fsync(fout.fileno())
            digest = h.hexdigest()
            if expected_sha256 is not None and digest != expected_sha256:
                raise ValueError(f"{src}: changed while being stored (sha256 {digest[:12]}… "
                                 f"instead of {expected_sha256[:12]}…)")
            dest = self.path_for(digest)
            if dest.exists():
                return digest, size
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, dest)
            tmp = ""
            return digest, size
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        dest = self.path_for(digest)
        if dest.exists():
            return digest
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, dest)
        return digest

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def check(self, sha256: str) -> str | None:
        """None when the stored bytes still hash to ``sha256``, else a readable problem."""
        p = self.path_for(sha256)
        if not p.is_file():
            return f"original {sha256[:12]}… is missing from the store ({p})"
        actual = sha256_file(p)
        if actual != sha256:
            return f"original {sha256[:12]}… was altered in the store (now hashes to {actual[:12]}…)"
        return None

    def copy_out(self, sha256: str, dest: Path) -> Path:
        shutil.copyfile(self.path_for(sha256), dest)
        return dest
