"""Aggregate check results into one answer per question.

The answer is evidence, not a verdict: its state says whether any check found something,
its confidence how much weight the checks behind it can bear.
"""

from __future__ import annotations

from collections.abc import Iterable

from .evidence import Answer, CheckResult, Confidence, Question, State

_INFORMATIVE = (State.FOUND, State.NOT_FOUND)


def answer(question: Question, results: Iterable[CheckResult]) -> Answer:
    """One question's answer from the results of its checks.

    Notes
    -----
    - ``found`` when at least one check found something; confidence ``high`` when two or
      more independent checks found something, or one did with a score of 0.8 or more;
      ``medium`` for one finding with a score of 0.5 or more; ``low`` otherwise.
    - ``not_found`` when checks ran and none found anything; confidence is never above
      ``medium`` (absence of evidence is weak) and is ``low`` with a single check.
    - ``inconclusive`` when checks ran but none could speak; ``not_applicable`` when none
      applied; ``error`` when every applicable check failed.
    """
    mine = [r for r in results if r.question == question]
    ids = [r.id for r in mine]
    found = [r for r in mine if r.state == State.FOUND]
    clean = [r for r in mine if r.state == State.NOT_FOUND]
    ran = [r for r in mine if r.state not in (State.NOT_APPLICABLE,)]
    failed = [r for r in ran if r.state in (State.ERROR, State.TIMEOUT)]
    if found:
        scores = [r.score for r in found if r.score is not None]
        top = max(scores) if scores else 0.0
        if len(found) >= 2 or top >= 0.8:
            conf = Confidence.HIGH
        elif top >= 0.5:
            conf = Confidence.MEDIUM
        else:
            conf = Confidence.LOW
        summary = " ".join(f"[{r.id}] {r.summary}" for r in found[:4])
        return Answer(state=State.FOUND, confidence=conf, summary=summary, checks=ids)
    if clean:
        conf = Confidence.MEDIUM if len(clean) >= 3 else Confidence.LOW
        names = ", ".join(r.id for r in clean)
        summary = f"Nothing found by {names}. Absence of evidence is not evidence of absence."
        if failed:
            summary += f" {len(failed)} check(s) could not run."
        return Answer(state=State.NOT_FOUND, confidence=conf, summary=summary, checks=ids)
    if ran and len(failed) == len(ran):
        return Answer(state=State.ERROR, confidence=Confidence.NONE,
                      summary="Every check for this question failed: " + "; ".join(
                          f"[{r.id}] {r.summary}" for r in failed[:3]), checks=ids)
    if ran:
        summary = " ".join(f"[{r.id}] {r.summary}" for r in ran if r.state == State.INCONCLUSIVE)
        return Answer(state=State.INCONCLUSIVE, confidence=Confidence.NONE,
                      summary=summary or "The checks ran but could not speak.", checks=ids)
    return Answer(state=State.NOT_APPLICABLE, confidence=Confidence.NONE,
                  summary="No check for this question applies to this input" + _ENABLE.get(question, "."),
                  checks=ids)


#: What a user can give to let more checks speak, per question.
_ENABLE = {
    Question.PLACE: " (give a claimed place or reference pictures to enable more).",
    Question.TIME: " (give a claimed time or place to enable more).",
    Question.PROVENANCE: " (give an archive, --archive DB, to enable more).",
}


def answer_all(results: Iterable[CheckResult]) -> dict[Question, Answer]:
    """Answers for all five questions, always all five keys."""
    rs = list(results)
    return {q: answer(q, rs) for q in Question}
