"""Parsing the claim: times with an offset or whole days, and the instants they can mean."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from verilens.claims import parse_time, time_bounds
from verilens.errors import UsageError


def test_parse_time_takes_an_offset_or_a_date_and_refuses_a_bare_clock_time():
    assert parse_time("2023-04-17") == "2023-04-17"
    assert parse_time("2023-04-17T10:00Z") == "2023-04-17T10:00:00+00:00"
    with pytest.raises(UsageError, match="offset or Z"):
        parse_time("2023-04-17T10:00")
    with pytest.raises(UsageError, match="not an ISO 8601"):
        parse_time("last tuesday")
    with pytest.raises(UsageError) as err:  # a hostile manifest's 100,000-character time is not echoed whole
        parse_time("9" * 100_000)
    assert len(str(err.value)) < 200


def test_time_bounds_of_a_date_span_every_zone_and_an_instant_is_itself():
    lo, hi = time_bounds("2022-03-15")  # type: ignore[misc]
    assert lo == datetime(2022, 3, 14, 10, tzinfo=UTC) and hi == datetime(2022, 3, 16, 12, tzinfo=UTC)
    t = datetime(2022, 3, 15, 9, tzinfo=UTC)
    assert time_bounds("2022-03-15T11:00+02:00") == (t, t)
    assert time_bounds("2022-03-15T09:00:00") == (t, t)  # naive values of older versions: UTC
    for bad in (None, "", "soon", "x" * 100, 12, "0001-01-01", "9999-12-31"):
        assert time_bounds(bad) is None
