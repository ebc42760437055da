"""Desk mail: mailboxes, every message that came in (raw first), the mail the desk sends; and
for the outbox, a message's sender, extra headers and attachments.

The three `notifications` columns are added with ALTER TABLE, never by rebuilding the table:
on SQLite a rebuild would cascade into `delivery_attempts` (see 20261203_0010).

Revision ID: 20261203_0012
Revises: 20261203_0011
Create Date: 2026-12-03 18:32:28.805909
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import takepoint.lib.db

revision = "20261203_0012"
down_revision = "20261203_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("acknowledge", sa.Boolean(), nullable=False),
        sa.Column("imap_host", sa.String(length=255), nullable=True),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column(
            "security",
            sa.Enum("imaps", "starttls", "none", name="security", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "auth",
            sa.Enum("password", "xoauth2", name="auth", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("secret_file", sa.String(length=1000), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column(
            "after_import",
            sa.Enum("flag", "move", name="afterimport", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("after_import_target", sa.String(length=200), nullable=False),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=True),
        sa.Column("last_uid", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_checked_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["desk_categories.id"],
            name=op.f("fk_mail_mailboxes_category_id_desk_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_mail_mailboxes_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_mailboxes")),
        sa.UniqueConstraint("address", name=op.f("uq_mail_mailboxes_address")),
        sa.UniqueConstraint("name", name=op.f("uq_mail_mailboxes_name")),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=500), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=True),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "imported",
                "ignored",
                "failed",
                name="inboundstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("desk_message_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["desk_message_id"],
            ["desk_messages.id"],
            name=op.f("fk_mail_messages_desk_message_id_desk_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mail_mailboxes.id"],
            name=op.f("fk_mail_messages_mailbox_id_mail_mailboxes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_mail_messages_ticket_id_desk_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_messages_message_id")),
    )
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_messages_desk_message_id"), ["desk_message_id"], unique=False
        )
        batch_op.create_index(
            "ix_mail_messages_sender_received_at", ["sender", "received_at"], unique=False
        )
        batch_op.create_index("ix_mail_messages_state", ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_messages_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "mail_outgoing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("acknowledgement", "reply", name="outgoingkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("desk_message_id", sa.Integer(), nullable=True),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "queued", "skipped", name="outgoingstate", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("notification_key", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("queued_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["desk_message_id"],
            ["desk_messages.id"],
            name=op.f("fk_mail_outgoing_desk_message_id_desk_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_outgoing_inbound_id_mail_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_mail_outgoing_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outgoing")),
        sa.UniqueConstraint("desk_message_id", name=op.f("uq_mail_outgoing_desk_message_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_outgoing_message_id")),
    )
    with op.batch_alter_table("mail_outgoing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_outgoing_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(
            "ix_mail_outgoing_to_address_created_at", ["to_address", "created_at"], unique=False
        )

    op.add_column("notifications", sa.Column("sender", sa.String(length=320), nullable=True))
    op.add_column("notifications", sa.Column("headers", sa.JSON(), nullable=True))
    op.add_column("notifications", sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), again without a rebuild.
    op.drop_column("notifications", "attachments")
    op.drop_column("notifications", "headers")
    op.drop_column("notifications", "sender")

    with op.batch_alter_table("mail_outgoing", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outgoing_to_address_created_at")
        batch_op.drop_index(batch_op.f("ix_mail_outgoing_ticket_id"))

    op.drop_table("mail_outgoing")
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_messages_ticket_id"))
        batch_op.drop_index("ix_mail_messages_state")
        batch_op.drop_index("ix_mail_messages_sender_received_at")
        batch_op.drop_index(batch_op.f("ix_mail_messages_desk_message_id"))

    op.drop_table("mail_messages")
    op.drop_table("mail_mailboxes")
