"""Indexes for the agents' queues at a million tickets.

Each queue reads the tickets still in play by state, assignee, team or requester, newest first,
so those indexes lead with that column and end with the state and id. They replace
(state, team_id, assignee_id), (assignee_id) and (requester_id), which the new ones cover.
"Breaching soon" walks the running clocks in deadline order, so the clocks' deadline index
gains the ticket id, the tie-break of that order.

Searching titles and requesters' names anywhere in the text takes trigram indexes (pg_trgm,
which PostgreSQL ships but each database must enable). Where pg_trgm cannot be had (SQLite, or
a PostgreSQL without it or without the right to enable it) the index is still made, empty
(`WHERE false`), so the schema stays the same everywhere; searches then read every ticket in
play instead. On PostgreSQL the title index takes ~12 s to build at a million tickets.

Revision ID: 20261204_0013
Revises: 20261203_0012
Create Date: 2026-12-04 09:10:00.000000
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "20261204_0013"
down_revision = "20261203_0012"
branch_labels = None
depends_on = None

TICKETS = "desk_tickets"
CLOCKS = "desk_ticket_clocks"
REQUESTERS = "desk_requesters"
TRIGRAMS = (("ix_desk_tickets_title_trgm", TICKETS, "title"),
            ("ix_desk_requesters_name_trgm", REQUESTERS, "name"))  # fmt: skip
log = logging.getLogger(__name__)


def upgrade() -> None:
    op.create_index("ix_desk_tickets_state_id", TICKETS, ["state", "id"])
    op.create_index("ix_desk_tickets_assignee_id_state_id", TICKETS, ["assignee_id", "state", "id"])
    op.create_index("ix_desk_tickets_team_id_state_id", TICKETS, ["team_id", "state", "id"])
    op.create_index(
        "ix_desk_tickets_requester_id_state_id", TICKETS, ["requester_id", "state", "id"]
    )
    op.drop_index("ix_desk_tickets_queue", table_name=TICKETS)
    op.drop_index("ix_desk_tickets_assignee_id", table_name=TICKETS)
    op.drop_index("ix_desk_tickets_requester_id", table_name=TICKETS)
    op.create_index("ix_desk_ticket_clocks_due_at_ticket_id", CLOCKS, ["due_at", "ticket_id"])
    op.drop_index("ix_desk_ticket_clocks_due_at", table_name=CLOCKS)
    trigrams = _enable_trigrams()
    for name, table, column in TRIGRAMS:
        if trigrams:
            op.create_index(
                name,
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
        else:
            op.create_index(
                name, table, [column], sqlite_where=sa.text("0"), postgresql_where=sa.false()
            )


def _enable_trigrams() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    if bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    if not bind.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        log.warning("pg_trgm is not installed: ticket searches will read every ticket in play")
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("could not enable pg_trgm (%s): searches will read every ticket in play", exc)
        return False
    return True


def downgrade() -> None:
    for name, table, _ in TRIGRAMS:
        op.drop_index(name, table_name=table)
    op.create_index("ix_desk_ticket_clocks_due_at", CLOCKS, ["due_at"])
    op.drop_index("ix_desk_ticket_clocks_due_at_ticket_id", table_name=CLOCKS)
    op.create_index("ix_desk_tickets_requester_id", TICKETS, ["requester_id"])
    op.create_index("ix_desk_tickets_assignee_id", TICKETS, ["assignee_id"])
    op.create_index("ix_desk_tickets_queue", TICKETS, ["state", "team_id", "assignee_id"])
    op.drop_index("ix_desk_tickets_requester_id_state_id", table_name=TICKETS)
    op.drop_index("ix_desk_tickets_team_id_state_id", table_name=TICKETS)
    op.drop_index("ix_desk_tickets_assignee_id_state_id", table_name=TICKETS)
    op.drop_index("ix_desk_tickets_state_id", table_name=TICKETS)
