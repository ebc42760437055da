"""Indexes for a million incidents: the list in its own order, per service, and the statistics.

`(opened_at, id)` is the incidents list's order, so a page (by offset or after an incident)
reads only its own rows; `(service_id, opened_at, id)` does the same for one service and serves
the engine's "newest open incident of this service". On PostgreSQL both carry the columns the
time-to-acknowledge and time-to-resolve statistics read, so those scan the index alone. A
partial index holds only the open incidents, few among many: listing and counting them no
longer walks every incident.

Revision ID: 20261122_0008
Revises: 20261121_0007
Create Date: 2026-11-22 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261122_0008"
down_revision = "20261121_0007"
branch_labels = None
depends_on = None
OPEN = "state <> 'resolved'"


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_opened_at")
        batch_op.create_index(
            "ix_incidents_opened_at_id",
            ["opened_at", "id"],
            unique=False,
            postgresql_include=["service_id", "state", "acknowledged_at", "resolved_at"],
        )
        batch_op.create_index(
            "ix_incidents_service_id_opened_at",
            ["service_id", "opened_at", "id"],
            unique=False,
            postgresql_include=["state", "acknowledged_at", "resolved_at"],
        )
        batch_op.create_index(
            "ix_incidents_open_opened_at",
            ["opened_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_open_opened_at")
        batch_op.drop_index("ix_incidents_service_id_opened_at")
        batch_op.drop_index("ix_incidents_opened_at_id")
        batch_op.create_index("ix_incidents_opened_at", ["opened_at"], unique=False)
