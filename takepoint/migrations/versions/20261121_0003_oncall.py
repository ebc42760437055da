"""On-call: schedules, layers, participants, restrictions, overrides, swaps, feeds, notices.

Revision ID: 20261121_0003
Revises: 20261121_0002
Create Date: 2026-11-21 22:57:05.708831
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import takepoint.lib.db

revision = "20261121_0003"
down_revision = "20261121_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_oncall_schedules_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_oncall_schedules_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_oncall_schedules_slug")),
    )
    op.create_table(
        "oncall_calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_oncall_calendar_feeds_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_calendar_feeds_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oncall_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("oncall_calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_calendar_feeds_owner_id"), ["owner_id"], unique=False
        )

    op.create_table(
        "oncall_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("handoff_time", sa.Time(), nullable=False),
        sa.Column("shift_length", sa.Integer(), nullable=False),
        sa.Column(
            "shift_unit",
            sa.Enum("hours", "days", "weeks", name="shiftunit", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_layers_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_layers")),
        sa.UniqueConstraint("schedule_id", "name", name=op.f("uq_oncall_layers_schedule_id_name")),
    )
    with op.batch_alter_table("oncall_layers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_layers_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_oncall_overrides_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_overrides_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_oncall_overrides_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oncall_overrides_schedule_id_ends_at", ["schedule_id", "ends_at"], unique=False
        )

    op.create_table(
        "oncall_shift_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("starting", "ended", name="noticekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("occurs_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shift_start", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shift_end", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "state",
            sa.Enum("pending", "sent", name="noticestate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_shift_notices_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_shift_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_shift_notices")),
        sa.UniqueConstraint(
            "schedule_id",
            "user_id",
            "occurs_at",
            "kind",
            name=op.f("uq_oncall_shift_notices_schedule_id_user_id_occurs_at_kind"),
        ),
    )
    with op.batch_alter_table("oncall_shift_notices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oncall_shift_notices_user_id_state", ["user_id", "state"], unique=False
        )

    op.create_table(
        "oncall_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["oncall_layers.id"],
            name=op.f("fk_oncall_participants_layer_id_oncall_layers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_oncall_participants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_participants")),
        sa.UniqueConstraint(
            "layer_id", "position", name=op.f("uq_oncall_participants_layer_id_position")
        ),
    )
    with op.batch_alter_table("oncall_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_participants_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "oncall_restrictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("days_mask", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["oncall_layers.id"],
            name=op.f("fk_oncall_restrictions_layer_id_oncall_layers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_restrictions")),
    )
    with op.batch_alter_table("oncall_restrictions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_restrictions_layer_id"), ["layer_id"], unique=False
        )

    op.create_table(
        "oncall_swaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("counterpart_id", sa.Integer(), nullable=False),
        sa.Column("give_start", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("give_end", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("take_start", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("take_end", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "cancelled",
                name="swapstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["counterpart_id"], ["users.id"], name=op.f("fk_oncall_swaps_counterpart_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["oncall_layers.id"],
            name=op.f("fk_oncall_swaps_layer_id_oncall_layers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_oncall_swaps_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_swaps_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_swaps")),
    )
    with op.batch_alter_table("oncall_swaps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_swaps_schedule_id"), ["schedule_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oncall_swaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_swaps_schedule_id"))

    op.drop_table("oncall_swaps")
    with op.batch_alter_table("oncall_restrictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_restrictions_layer_id"))

    op.drop_table("oncall_restrictions")
    with op.batch_alter_table("oncall_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_participants_user_id"))

    op.drop_table("oncall_participants")
    with op.batch_alter_table("oncall_shift_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_oncall_shift_notices_user_id_state")

    op.drop_table("oncall_shift_notices")
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_oncall_overrides_schedule_id_ends_at")

    op.drop_table("oncall_overrides")
    with op.batch_alter_table("oncall_layers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_layers_schedule_id"))

    op.drop_table("oncall_layers")
    with op.batch_alter_table("oncall_calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_calendar_feeds_owner_id"))

    op.drop_table("oncall_calendar_feeds")
    op.drop_table("oncall_schedules")
