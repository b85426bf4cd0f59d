"""Aggregation of check results into the five answers."""

from __future__ import annotations

from verilens.evidence import CheckResult, Confidence, Question, State
from verilens.questions import answer, answer_all


def r(id: str, state: State, score: float | None = None, q: Question = Question.MANIPULATION) -> CheckResult:
    return CheckResult(id=id, question=q, state=state, score=score, summary=f"{id} said {state}")


def test_found_confidence_grows_with_agreement() -> None:
    assert answer(Question.MANIPULATION, [r("a", State.FOUND, 0.3)]).confidence == Confidence.LOW
    assert answer(Question.MANIPULATION, [r("a", State.FOUND, 0.6)]).confidence == Confidence.MEDIUM
    two = answer(Question.MANIPULATION, [r("a", State.FOUND, 0.3), r("b", State.FOUND, 0.2)])
    assert two.state == State.FOUND and two.confidence == Confidence.HIGH


def test_absence_is_weak_evidence() -> None:
    a = answer(Question.MANIPULATION, [r("a", State.NOT_FOUND)] * 5)
    assert a.state == State.NOT_FOUND and a.confidence == Confidence.MEDIUM
    assert "not evidence of absence" in a.summary


def test_inconclusive_error_and_not_applicable() -> None:
    assert answer(Question.MANIPULATION, [r("a", State.INCONCLUSIVE)]).state == State.INCONCLUSIVE
    assert answer(Question.MANIPULATION, [r("a", State.ERROR), r("b", State.TIMEOUT)]).state == State.ERROR
    assert answer(Question.MANIPULATION, [r("a", State.NOT_APPLICABLE)]).state == State.NOT_APPLICABLE
    assert answer(Question.TIME, [r("a", State.FOUND)]).state == State.NOT_APPLICABLE


def test_all_five_always_present() -> None:
    assert set(answer_all([])) == set(Question)
