"""Used action links: a link acts once, and is refused after, even if its incident reopens.

A row is keyed by the digest of what the link says and written in the transaction that acts
through it. Rows older than a link can live (a day and ten minutes) may be deleted.

Revision ID: 20261206_0014
Revises: 20261204_0013
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import takepoint.lib.db

revision = "20261206_0014"
down_revision = "20261204_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_action_links",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_used_action_links")),
    )
    op.create_index(
        op.f("ix_used_action_links_used_at"), "used_action_links", ["used_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_used_action_links_used_at"), table_name="used_action_links")
    op.drop_table("used_action_links")
