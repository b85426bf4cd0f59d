"""The runner isolates checks: errors and overruns become results, the report still comes out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.media import natural_image, write_jpeg
from verilens import pipeline
from verilens.api import check_item
from verilens.errors import CheckUnavailable
from verilens.evidence import Finding, Question, State
from verilens.intake import open_media
from verilens.pipeline import Context, Options, register


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict:
    reg: dict = {}
    monkeypatch.setattr(pipeline, "REGISTRY", reg)
    monkeypatch.setattr(pipeline, "_loaded", True)
    return reg


def test_isolation_error_timeout_and_order(registry: dict, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    @register("t.boom", Question.MANIPULATION)
    def boom(ctx: Context) -> Finding:
        raise ZeroDivisionError("division by zero in a buggy check")

    @register("t.slow", Question.TIME, budget_s=0.3)
    def slow(ctx: Context) -> Finding:
        time.sleep(3)
        return Finding(State.FOUND, "never")

    @register("t.tool", Question.SOURCE)
    def tool(ctx: Context) -> Finding:
        raise CheckUnavailable("the helper program is not installed")

    @register("t.first", Question.PLACE, parameters={"k": 3})
    def first(ctx: Context) -> Finding:
        return Finding(State.FOUND, "first", score=0.9, details={"n": 1})

    @register("t.second", Question.PLACE, after=("t.first",))
    def second(ctx: Context) -> Finding:
        seen["first"] = ctx.results["t.first"].details["n"]
        return Finding(State.NOT_FOUND, "second")

    @register("t.video_only", Question.PROVENANCE, applies_to=("video",))
    def video_only(ctx: Context) -> Finding:
        raise AssertionError("must not run on an image")

    item = open_media(write_jpeg(tmp_path / "a.jpg", natural_image(64, 48)))
    start = time.monotonic()
    report = check_item(item, options=Options(), out=tmp_path / "out")
    assert time.monotonic() - start < 2.5, "a slow check must not hold the report"
    states = {c.id: c.state for c in report.checks}
    assert states == {"t.boom": State.ERROR, "t.slow": State.TIMEOUT, "t.tool": State.ERROR,
                      "t.first": State.FOUND, "t.second": State.NOT_FOUND,
                      "t.video_only": State.NOT_APPLICABLE}
    assert "ZeroDivisionError" in report.check("t.boom").error
    assert "not installed" in report.check("t.tool").summary
    assert seen["first"] == 1
    assert report.check("t.first").parameters == {"k": 3}
    assert report.questions[Question.PLACE].state == State.FOUND
    assert set(report.questions) == set(Question)


def test_select_checks_pulls_dependencies_and_rejects_unknown(registry: dict) -> None:
    @register("t.a", Question.TIME)
    def a(ctx: Context) -> Finding:
        return Finding(State.FOUND, "a")

    @register("t.b", Question.TIME, after=("t.a",))
    def b(ctx: Context) -> Finding:
        return Finding(State.FOUND, "b")

    @register("t.c", Question.TIME, default=False)
    def c(ctx: Context) -> Finding:
        return Finding(State.FOUND, "c")

    assert [c.id for c in pipeline.select_checks("image", Options(checks={"t.b"}))] == ["t.a", "t.b"]
    assert [c.id for c in pipeline.select_checks("image", Options())] == ["t.a", "t.b"]
    assert [c.id for c in pipeline.select_checks("image", Options(skip={"t.a"}))] == ["t.b"]
    with pytest.raises(Exception, match="unknown check"):
        pipeline.select_checks("image", Options(checks={"t.zzz"}))


def test_artifacts_written_under_out(registry: dict, tmp_path: Path) -> None:
    @register("t.art", Question.MANIPULATION)
    def art(ctx: Context) -> Finding:
        a = ctx.save_image("map", ctx.media.rgb(), "heatmap", "test")
        return Finding(State.NOT_FOUND, "ok", artifacts=[a])

    item = open_media(write_jpeg(tmp_path / "a.jpg", natural_image(64, 48)))
    report = check_item(item, out=tmp_path / "out")
    path = Path(report.check("t.art").artifacts[0].path)
    assert path.is_file() and (tmp_path / "out") in path.parents and path.name == "t.art.map.png"


def test_public_api_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import verilens

    monkeypatch.setenv("VERILENS_HOME", str(tmp_path))
    assert {"check", "open_case", "open_archive", "Report", "State"} <= set(dir(verilens))
    store = verilens.open_case()
    case = store.new_case("public API")
    assert any(c.id == case.id for c in store.list_cases())
    archive = verilens.open_archive()
    archive.close()
    with pytest.raises(AttributeError):
        verilens.no_such_name  # noqa: B018
