"""time.timeline and time.sun on real camera files from ../shared/data."""

from __future__ import annotations

from pathlib import Path

from verilens.api import check
from verilens.evidence import State
from verilens.pipeline import Options


def test_timeline_on_real_gps_photo(shared_data: Path, tmp_path: Path) -> None:
    # exif-samples/jpg/gps/DSCN0010.jpg (Nikon, Tuscany): DateTimeOriginal 2008-10-22 16:28:39 with
    # no offset, GPS time 2008-10-23 14:27:07 UTC: the camera clock is about a day off.
    path = shared_data / "exif-samples" / "jpg" / "gps" / "DSCN0010.jpg"
    (ok,) = list(check([str(path)], claim_place="43.4674,11.8851", claim_time="2008-10-23T16:27:00+02:00",
                       out=tmp_path / "a", options=Options(checks={"time.timeline"})))
    r = ok.check("time.timeline")
    assert r is not None
    kinds = {e["kind"] for e in r.details["events"]}
    assert {"capture", "gps", "claim"} <= kinds
    gps = next(e for e in r.details["events"] if e["kind"] == "gps")
    assert gps["utc"].startswith("2008-10-23T14:27:07")
    assert r.state == State.NOT_FOUND  # the claim agrees with the GPS time
    (bad,) = list(check([str(path)], claim_place="43.4674,11.8851", claim_time="2009-06-01",
                        out=tmp_path / "b", options=Options(checks={"time.timeline"})))
    r = bad.check("time.timeline")
    assert r is not None and r.state == State.FOUND
    assert r.details["contradictions"][0]["rule"] == "claim_vs_capture"


def test_sun_check_at_real_photo_place(shared_data: Path, tmp_path: Path) -> None:
    # The same photo's GPS place and GPS time, with the shadow the sun casts there then
    # (SPA: azimuth 234.45°, apparent elevation 17.06°): consistent; a shadow pointing north-west is not.
    path = shared_data / "exif-samples" / "jpg" / "gps" / "DSCN0010.jpg"
    from verilens.time.sun import sun_position

    p = sun_position("2008-10-23T14:27:07Z", 43.4674483, 11.8851267)
    shadow = {"elevation": round(float(p.apparent_elevation[0]), 1), "shadow_bearing": round(float(p.shadow_bearing[0])),
              "tolerance": 1.0}
    (rep,) = list(check([str(path)], claim_place="43.4674483,11.8851267", claim_time="2008-10-23T14:27:07Z",
                        out=tmp_path / "c", options=Options(checks={"time.sun"}, shadow=shadow)))
    r = rep.check("time.sun")
    assert r is not None and r.state == State.NOT_FOUND
    shadow["shadow_bearing"] = 315
    (rep,) = list(check([str(path)], claim_place="43.4674483,11.8851267", claim_time="2008-10-23T14:27:07Z",
                        out=tmp_path / "d", options=Options(checks={"time.sun"}, shadow=shadow)))
    r = rep.check("time.sun")
    assert r is not None and r.state == State.FOUND
