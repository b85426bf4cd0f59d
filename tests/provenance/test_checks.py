"""The provenance checks' reading of first-seen and claimed times."""

from __future__ import annotations

from verilens.provenance.checks import earliest_and_predates


def _m(i: int, seen: str | None, url: str | None = None) -> dict:
    return {"id": i, "path": f"/a/{i}.jpg", "source_url": url, "first_seen": seen}


def test_the_earliest_copy_is_found_across_dates_and_instants():
    ms = [_m(1, "2022-03-20T00:00:00+00:00"), _m(2, None, "https://x"), _m(3, "2022-03-15", "https://y")]
    earliest, predates = earliest_and_predates(ms, None)
    assert earliest == {"id": 3, "path": "/a/3.jpg", "source_url": "https://y", "first_seen": "2022-03-15"}
    assert predates is None
    assert earliest_and_predates([_m(2, None)], "2022-03-15") == (None, None)


def test_a_first_seen_date_predates_only_claims_after_that_whole_day():
    ms = [_m(1, "2022-03-15")]
    assert earliest_and_predates(ms, "2022-03-15T11:00+02:00")[1] is False  # the same day: not recycled
    assert earliest_and_predates(ms, "2022-03-16T09:00+00:00")[1] is False  # still the 15th west of UTC-9
    assert earliest_and_predates(ms, "2022-03-16T13:00+00:00")[1] is True
    assert earliest_and_predates(ms, "2022-03-16")[1] is False  # a claimed day begins at UTC+14
    assert earliest_and_predates(ms, "2022-03-18")[1] is True


def test_instants_compare_as_instants():
    ms = [_m(1, "2022-03-15T09:00:00+00:00")]
    assert earliest_and_predates(ms, "2022-03-15T11:00+02:00")[1] is False  # the same moment
    assert earliest_and_predates(ms, "2022-03-15T11:01+02:00")[1] is True
    assert earliest_and_predates(ms, "2022-03-15")[1] is False


def test_the_earliest_copy_is_the_one_certainly_seen_first():
    ms = [_m(1, "2023-04-10", "https://day"), _m(2, "2023-04-09T12:00:00Z", "https://instant")]
    earliest, predates = earliest_and_predates(ms, "2023-04-11T06:00:00Z")
    assert earliest is not None and earliest["id"] == 2 and predates is True
