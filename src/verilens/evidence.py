"""The evidence model: what every check returns and what a report is made of.

One small set of states for the whole project (:class:`State`), five questions
(:class:`Question`), and frozen pydantic models so that the JSON Schema of the report is
generated from the code (``docs/schema/report.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class State(StrEnum):
    """What a check (or a question) came to.

    ``found``: the check saw what it looks for (traces of editing, an earlier copy, a
    manifest, a declaration, a contradiction...). ``not_found``: it looked and did not see it
    (absence of evidence, never evidence of absence). ``inconclusive``: it ran but the input
    does not let it speak. ``not_applicable``: it does not apply to this input (a JPEG-only
    check on a PNG, a place check without a claimed place). ``error``: it failed; the message
    says why. ``timeout``: it ran past its time budget.
    """

    FOUND = "found"
    NOT_FOUND = "not_found"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    TIMEOUT = "timeout"


class Question(StrEnum):
    """The five questions every verification desk asks."""

    MANIPULATION = "manipulation"
    PROVENANCE = "provenance"
    SOURCE = "source"
    PLACE = "place"
    TIME = "time"


class Confidence(StrEnum):
    """How much weight an answer can bear; never a probability."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ArtifactKind(StrEnum):
    MASK = "mask"
    HEATMAP = "heatmap"
    IMAGE = "image"
    MAP = "map"
    DATA = "data"


_frozen = ConfigDict(frozen=True, extra="forbid")


class Artifact(BaseModel):
    """A file a check wrote: a heatmap, a mask, a picture, a map or a data file."""

    model_config = _frozen
    kind: ArtifactKind
    path: str
    caption: str | None = None


class CheckResult(BaseModel):
    """One check's evidence about one input."""

    model_config = _frozen
    id: str = Field(description="Stable dotted id, e.g. forensics.ela")
    question: Question
    state: State
    score: float | None = Field(
        default=None, description="Check-specific strength of the finding, 0..1 where stated"
    )
    summary: str = Field(description="One or two sentences a fact-checker can read")
    details: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[Artifact] = Field(default_factory=list)
    caveat: str = Field(default="", description="How to read this / what it cannot show")
    version: str = "1"
    parameters: dict[str, Any] = Field(default_factory=dict)
    duration_s: float = 0.0
    error: str | None = None


class Answer(BaseModel):
    """One question's answer, aggregated from its checks."""

    model_config = _frozen
    state: State
    confidence: Confidence
    summary: str
    checks: list[str] = Field(default_factory=list)


class InputInfo(BaseModel):
    model_config = _frozen
    path: str | None = None
    url: str | None = None
    sha256: str | None = None
    mime: str | None = None
    kind: Literal["image", "video"] | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    size_bytes: int | None = None
    frames: int | None = None


class Place(BaseModel):
    model_config = _frozen
    query: str
    name: str | None = None
    lat: float
    lon: float
    radius_km: float = 0.0
    country: str | None = None
    region: str | None = None


class Claim(BaseModel):
    model_config = _frozen
    place: Place | None = None
    time: str | None = Field(default=None, description="ISO 8601 as given; a date means the day")


class Gps(BaseModel):
    model_config = _frozen
    lat: float
    lon: float
    alt: float | None = None
    source: str | None = None


class Device(BaseModel):
    model_config = _frozen
    make: str | None = None
    model: str | None = None


class MetadataSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")
    capture_time: str | None = None
    capture_time_source: str | None = None
    gps: Gps | None = None
    device: Device | None = None
    software: str | None = None


class Report(BaseModel):
    """The report of ``verilens check`` for one input (contract.md)."""

    model_config = _frozen
    verilens_version: str
    input: InputInfo
    state: Literal["ok", "error"]
    error: str | None = None
    claim: Claim = Field(default_factory=Claim)
    metadata: MetadataSummary = Field(default_factory=MetadataSummary)
    checks: list[CheckResult] = Field(default_factory=list)
    questions: dict[Question, Answer] = Field(default_factory=dict)

    def check(self, check_id: str) -> CheckResult | None:
        """The result of one check by id, or None when it did not run."""
        return next((c for c in self.checks if c.id == check_id), None)


@dataclass
class Finding:
    """What a check function returns; the pipeline adds id, question, version and timing.

    Attributes
    ----------
    state : State
    summary : str
        Plain words, numbers included, no verdict beyond what the check can show.
    score : float or None
    details : dict
        JSON-serialisable numbers and strings.
    artifacts : list of Artifact
    """

    state: State
    summary: str
    score: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)


def report_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Report` (committed as docs/schema/report.schema.json)."""
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://verilens.invalid/schema/report.schema.json"
    return schema
