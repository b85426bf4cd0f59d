"""The case store: cases, claims, items, check runs, notes, verdicts, custody log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY_MSG = "the custody log is append-only"


def upgrade() -> None:
    op.create_table(
        "case_cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("investigators", sa.JSON, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "case_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("case_cases.id"), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("claimant", sa.Text),
        sa.Column("place", sa.JSON),
        sa.Column("time", sa.String(40)),
        sa.Column("first_appearance_url", sa.Text),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "case_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("case_cases.id"), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("mime", sa.String(64)),
        sa.Column("kind", sa.String(16)),
        sa.Column("original_name", sa.Text, nullable=False),
        sa.Column("source_path", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("acquired_at", sa.String(40), nullable=False),
        sa.Column("acquisition_method", sa.String(32), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "case_check_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("case_items.id"), nullable=False, index=True),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("question", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("artifacts", sa.JSON, nullable=False),
        sa.Column("caveat", sa.Text, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("tool_versions", sa.JSON, nullable=False),
        sa.Column("ran_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("case_cases.id"), nullable=False, index=True),
        sa.Column("item_id", sa.String(32)),
        sa.Column("author", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "case_verdicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("case_cases.id"), nullable=False, index=True),
        sa.Column("item_id", sa.String(32)),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("rating", sa.Text, nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "case_custody",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("case_cases.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text),
        sa.Column("item_id", sa.String(32)),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_custody_seq"),
    )
    # The database itself refuses to change or delete custody entries. Someone with
    # direct write access can still drop the trigger; the hash chain is what detects that.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER case_custody_no_{event.lower()} BEFORE {event} ON case_custody "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MSG}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION case_custody_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MSG}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER case_custody_append_only BEFORE UPDATE OR DELETE ON case_custody "
            "FOR EACH ROW EXECUTE FUNCTION case_custody_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_custody_append_only ON case_custody")
        op.execute("DROP FUNCTION IF EXISTS case_custody_append_only()")
    for name in ("case_custody", "case_verdicts", "case_notes", "case_check_runs", "case_items",
                 "case_claims", "case_cases"):
        op.drop_table(name)
