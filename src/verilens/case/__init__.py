"""The case file: a store of cases (claim, media with their check runs, notes, verdicts)
with a hash-chained custody log, in SQLite by default or PostgreSQL by URL.

::

    from verilens.case import CaseStore
    store = CaseStore()                      # $VERILENS_HOME/cases.db
    case = store.new_case("Flooded street, Kherson", investigators=["A. Analyst"])
    store.add_claim(case.id, "Shows Kherson on 2022-11-11", place="Kherson", time="2022-11-11")
    res = store.add_media(case.id, ["photo.jpg"])
    store.set_verdict(case.id, ["DecontextualizedContent"], "Misleading", "Older photo ...")
    store.export(case.id, "html", "case.html")
    ok, problems = store.verify(case.id)
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = dict.fromkeys(
    ["CATEGORIES", "AddResult", "Case", "CaseNotFound", "CaseStore", "CaseSummary", "CheckRunInfo",
     "ClaimInfo", "CustodyInfo", "ItemInfo", "NoteInfo", "VerdictInfo"], ".store")
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
