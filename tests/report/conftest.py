"""A demo case built from the bundled examples, with hostile strings everywhere a user or
a file can put them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.media import exiftool_available, exiftool_write
from verilens.case import CaseStore
from verilens.config import Settings
from verilens.pipeline import Options

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HOSTILE = "<script>alert('x')</script><img src=http://127.0.0.1:9/x.png onerror=alert(1)>"


@dataclass
class Demo:
    store: CaseStore
    case_id: str
    items: list[str]
    tmp: Path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("demo-case")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERILENS_HOME", str(tmp / "home"))
        inputs = sorted(p for p in EXAMPLES.iterdir() if p.suffix.lower() == ".jpg")
        assert inputs, "the bundled examples are missing"
        hostile = tmp / "hostile.jpg"
        shutil.copyfile(inputs[0], hostile)
        if exiftool_available():
            exiftool_write(hostile, f"-Make={HOSTILE}", f"-Software={HOSTILE}", f"-ImageDescription={HOSTILE}")
        store = CaseStore(tmp / "cases.db")
        case = store.new_case(f"Demo {HOSTILE}", investigators=["Ann Analyst", HOSTILE])
        store.add_claim(case.id, f"Shows Kyiv on 11 Nov 2022 {HOSTILE}", claimant=f"@poster {HOSTILE}",
                        place="50.45,30.52", time="2022-11-11", first_appearance_url="https://example.org/post/1")
        res = store.add_media(case.id, [*map(str, inputs), str(hostile)],
                              options=Options(checks={"metadata.basic", "forensics.ela"}, parallel=1),
                              settings=Settings(workdir=tmp / "work"))
        assert not res.errors and len(res.added) == len(inputs) + 1
        store.add_note(case.id, f"Note {HOSTILE}", author=HOSTILE)
        store.set_verdict(case.id, ["DecontextualizedContent"], "Misleading",
                          f"Older photos shown as new. {HOSTILE}", author="Ann Analyst")
        yield Demo(store, case.id, res.added, tmp)
        store.close()
