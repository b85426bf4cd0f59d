"""Shared fixtures: synthetic media made in code, and the real files in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.media import natural_image, write_jpeg

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VERILENS_SHARED_DATA", ROOT.parent / "shared" / "data"))
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own working area, never the user's."""
    monkeypatch.setenv("VERILENS_HOME", str(tmp_path_factory.mktemp("verilens-home")))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a clean skip when this clone has no such folder beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-media corpus not present at {SHARED_DATA} (see README, 'Test data')")
    return SHARED_DATA


@pytest.fixture
def jpeg_file(tmp_path: Path) -> Path:
    return write_jpeg(tmp_path / "photo.jpg", natural_image())
