from __future__ import annotations

from pathlib import Path

import pytest

from tests.media import natural_image, write_jpeg
from verilens.case import CaseStore
from verilens.pipeline import Options

#: A small, fast set of checks for store tests.
FAST = Options(checks={"metadata.basic"}, parallel=1)


@pytest.fixture
def store(tmp_path: Path):
    s = CaseStore(tmp_path / "cases.db")
    yield s
    s.close()


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    d = tmp_path / "in"
    d.mkdir()
    return [write_jpeg(d / f"p{i}.jpg", natural_image(160, 120, seed=i)) for i in range(2)]
