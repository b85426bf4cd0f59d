"""Alembic environment of the case store; run from :func:`verilens.case.db.migrate`.

The caller hands over an open connection in ``config.attributes["connection"]``; nothing
here reads ``alembic.ini`` or the network.
"""

from __future__ import annotations

from alembic import context

from verilens.case.models import Base

VERSION_TABLE = "case_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through migrate()
    raise RuntimeError("the case-store migrations run through verilens.case.db.migrate()")

context.configure(connection=connection, target_metadata=Base.metadata,
                  version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
