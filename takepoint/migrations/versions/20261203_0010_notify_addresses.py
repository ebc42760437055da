"""The outbox reaches addresses that are not users: `notifications.address`, `user_id` nullable,
and a check that a message has exactly one of the two.

On SQLite the change rebuilds `notifications` (batch mode). The migration runs in one
transaction with foreign keys on, where they cannot be switched off, so dropping the old table
would cascade into `delivery_attempts` and clear every `fallback_of_id`; both are copied aside
first and put back after.

Revision ID: 20261203_0010
Revises: 20261203_0009
Create Date: 2026-12-03 16:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261203_0010"
down_revision = "20261203_0009"
branch_labels = None
depends_on = None
ONE_RECIPIENT = "(user_id IS NULL) <> (address IS NULL)"


def _on_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _keep_references() -> None:
    op.execute("CREATE TEMP TABLE _keep_delivery_attempts AS SELECT * FROM delivery_attempts")
    op.execute(
        "CREATE TEMP TABLE _keep_fallbacks AS SELECT id, fallback_of_id FROM notifications "
        "WHERE fallback_of_id IS NOT NULL"
    )


def _restore_references() -> None:
    op.execute(
        "UPDATE notifications SET fallback_of_id = "
        "(SELECT k.fallback_of_id FROM _keep_fallbacks AS k WHERE k.id = notifications.id) "
        "WHERE id IN (SELECT id FROM _keep_fallbacks)"
    )
    op.execute("DELETE FROM delivery_attempts")
    op.execute(
        "INSERT INTO delivery_attempts SELECT * FROM _keep_delivery_attempts "
        "WHERE notification_id IN (SELECT id FROM notifications)"
    )
    op.execute("DROP TABLE _keep_delivery_attempts")
    op.execute("DROP TABLE _keep_fallbacks")


def upgrade() -> None:
    sqlite = _on_sqlite()
    if sqlite:
        _keep_references()
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=320), nullable=True))
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_notifications_one_recipient"), ONE_RECIPIENT)
    if sqlite:
        _restore_references()


def downgrade() -> None:
    # Messages to bare addresses have nowhere to go in the old schema.
    op.execute("DELETE FROM notifications WHERE user_id IS NULL")
    sqlite = _on_sqlite()
    if sqlite:
        _keep_references()
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_one_recipient"), type_="check")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("address")
    if sqlite:
        _restore_references()
