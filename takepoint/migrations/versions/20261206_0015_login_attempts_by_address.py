"""Sign-in failures are also counted per address, so they need an index by address and time.

Revision ID: 20261206_0015
Revises: 20261206_0014
Create Date: 2026-12-06 21:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "20261206_0015"
down_revision = "20261206_0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_login_attempts_addr_at", "login_attempts", ["remote_addr", "attempted_at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_addr_at", table_name="login_attempts")
