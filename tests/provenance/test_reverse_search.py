"""Reverse-search links and the earliest/predates logic."""

from __future__ import annotations

from urllib.parse import quote

from verilens.provenance.checks import earliest_and_predates
from verilens.provenance.reverse_search import ENGINES, reverse_search_links


def test_links_for_a_url_are_encoded():
    url = "https://news.example/img?id=1&x=ü"
    info = reverse_search_links(url)
    assert set(info["links"]) == set(ENGINES)
    assert all(quote(url, safe="") in link for link in info["links"].values())
    assert "Nothing was sent" in info["note"]


def test_local_files_and_odd_schemes_get_no_links():
    assert reverse_search_links(None)["links"] == {}
    assert reverse_search_links("file:///etc/passwd")["links"] == {}
    assert reverse_search_links("javascript:alert(1)")["links"] == {}


def test_earliest_and_predates():
    ms = [{"id": 1, "path": "a", "source_url": None, "first_seen": "2022-05-01T00:00:00+00:00"},
          {"id": 2, "path": "b", "source_url": "u", "first_seen": "2021-01-01T00:00:00+00:00"},
          {"id": 3, "path": "c", "source_url": None, "first_seen": None}]
    e, p = earliest_and_predates(ms, "2023-04-17")
    assert e == {"id": 2, "path": "b", "source_url": "u", "first_seen": "2021-01-01T00:00:00+00:00"} and p is True
    assert earliest_and_predates(ms, "2020-12-31T23:00:00-02:00")[1] is True  # claim 01:00Z, seen 00:00Z
    assert earliest_and_predates(ms, "2020-12-31T21:00:00-02:00")[1] is False  # claim 23:00Z the day before
    assert earliest_and_predates(ms, None)[1] is None
    assert earliest_and_predates([ms[2]], "2023-01-01") == (None, None)
