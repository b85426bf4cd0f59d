"""The case file's tables (SQLAlchemy 2 declarative models).

Tables are prefixed ``case_`` so that a case database can share a PostgreSQL database with
the provenance archive. The schema is created and upgraded by the Alembic migrations in
``verilens/case/migrations`` (never by ``create_all``), so that an existing case file is
upgraded in place when verilens is updated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class CaseRow(Base):
    """A case: one verification (title, status, investigators, timestamps)."""

    __tablename__ = "case_cases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    investigators: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))


class ClaimRow(Base):
    """The claim under review: text, claimant, claimed place and time, first appearance."""

    __tablename__ = "case_claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    claimant: Mapped[str | None] = mapped_column(Text, nullable=True)
    place: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    first_appearance_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))


class ItemRow(Base):
    """One media item of a case; its original is in the content-addressed store by SHA-256."""

    __tablename__ = "case_items"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    original_name: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    acquired_at: Mapped[str] = mapped_column(String(40))
    acquisition_method: Mapped[str] = mapped_column(String(32))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(40))


class CheckRunRow(Base):
    """One check result on one item, with its version, parameters and tool versions."""

    __tablename__ = "case_check_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("case_items.id"), index=True)
    check_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    artifacts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    caveat: Mapped[str] = mapped_column(Text, default="")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    tool_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ran_at: Mapped[str] = mapped_column(String(40))


class NoteRow(Base):
    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_cases.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))


class VerdictRow(Base):
    """MediaReview ``mediaAuthenticityCategory`` values, a textual rating and its rationale."""

    __tablename__ = "case_verdicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_cases.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    categories: Mapped[list[Any]] = mapped_column(JSON)
    rating: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))


class CustodyRow(Base):
    """One entry of the append-only, hash-chained custody log of a case."""

    __tablename__ = "case_custody"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_custody_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(Text, nullable=True)
    item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
