"""The rest of the desk's ticket: impact and urgency with the priority matrix, tags, root cause,
follow-ups, incident links, how each message arrived, canned replies, who has a ticket open, attachments; and per SLA rule,
business or calendar time per target and the warning share.

On SQLite the new ticket and rule columns are added with ALTER TABLE, never by rebuilding the
table: a rebuild would cascade into the messages and clocks.

Revision ID: 20261203_0011
Revises: 20261203_0010
Create Date: 2026-12-03 18:15:38.310605
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import takepoint.lib.db

revision = "20261203_0011"
down_revision = "20261203_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_priority_matrix",
        sa.Column(
            "impact",
            sa.Enum("high", "medium", "low", name="level", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum("high", "medium", "low", name="level", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum("p1", "p2", "p3", "p4", name="priority", native_enum=False, length=32),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("impact", "urgency", name=op.f("pk_desk_priority_matrix")),
    )
    op.create_table(
        "desk_canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_desk_canned_replies_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_canned_replies")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_desk_canned_replies_team_id_name")),
    )
    op.create_table(
        "desk_incident_links",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_desk_incident_links_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_desk_incident_links_linked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_incident_links_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "incident_id", name=op.f("pk_desk_incident_links")),
    )
    with op.batch_alter_table("desk_incident_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_incident_links_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "desk_ticket_tags",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_ticket_tags_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "tag", name=op.f("pk_desk_ticket_tags")),
    )
    with op.batch_alter_table("desk_ticket_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_ticket_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "desk_ticket_viewers",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_ticket_viewers_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_desk_ticket_viewers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_desk_ticket_viewers")),
    )
    op.create_table(
        "desk_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column(
            "media_type",
            sa.Enum(
                "image/png",
                "image/jpeg",
                "image/gif",
                "image/webp",
                "application/pdf",
                "text/plain",
                name="evidencetype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_requester_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["desk_messages.id"],
            name=op.f("fk_desk_attachments_message_id_desk_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_attachments_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_requester_id"],
            ["desk_requesters.id"],
            name=op.f("fk_desk_attachments_uploaded_by_requester_id_desk_requesters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_desk_attachments_uploaded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_attachments")),
    )
    with op.batch_alter_table("desk_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_attachments_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_attachments_ticket_id"), ["ticket_id"], unique=False
        )

    for column in ("first_response_business", "next_response_business", "resolution_business"):
        op.add_column(
            "desk_sla_rules",
            sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.true()),
        )
    op.add_column(
        "desk_sla_rules",
        sa.Column("warn_percent", sa.Integer(), nullable=False, server_default="75"),
    )
    channel = sa.Enum("web", "phone", "api", "email", name="channel", native_enum=False, length=32)
    op.add_column("desk_messages", sa.Column("channel", channel, nullable=True))
    level = sa.Enum("high", "medium", "low", name="level", native_enum=False, length=32)
    op.add_column("desk_tickets", sa.Column("impact", level, nullable=True))
    op.add_column("desk_tickets", sa.Column("urgency", level, nullable=True))
    op.add_column(
        "desk_tickets", sa.Column("root_cause", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "desk_tickets",
        sa.Column("root_cause_shared", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "desk_follow_ups",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("follows_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follows_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_follow_ups_follows_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_follow_ups_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_desk_follow_ups")),
    )
    op.create_index(
        op.f("ix_desk_follow_ups_follows_id"), "desk_follow_ups", ["follows_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_desk_follow_ups_follows_id"), table_name="desk_follow_ups")
    op.drop_table("desk_follow_ups")
    with op.batch_alter_table("desk_messages", schema=None) as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("desk_tickets", schema=None) as batch_op:
        for column in ("root_cause_shared", "root_cause", "urgency", "impact"):
            batch_op.drop_column(column)
    with op.batch_alter_table("desk_sla_rules", schema=None) as batch_op:
        for column in (
            "warn_percent",
            "resolution_business",
            "next_response_business",
            "first_response_business",
        ):
            batch_op.drop_column(column)

    with op.batch_alter_table("desk_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_attachments_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_desk_attachments_sha256"))

    op.drop_table("desk_attachments")
    op.drop_table("desk_ticket_viewers")
    with op.batch_alter_table("desk_ticket_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_ticket_tags_tag"))

    op.drop_table("desk_ticket_tags")
    with op.batch_alter_table("desk_incident_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_incident_links_incident_id"))

    op.drop_table("desk_incident_links")
    op.drop_table("desk_canned_replies")
    op.drop_table("desk_priority_matrix")
