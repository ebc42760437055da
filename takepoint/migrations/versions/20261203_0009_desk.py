"""The service desk: requesters, categories, business calendars, SLA rules, tickets, their
messages and their SLA clocks.

Revision ID: 20261203_0009
Revises: 20261122_0008
Create Date: 2026-12-03 14:22:30.514820
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import takepoint.lib.db

revision = "20261203_0009"
down_revision = "20261122_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("weekly", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_desk_calendars_name")),
    )
    op.create_table(
        "desk_requesters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_desk_requesters_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_desk_requesters_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_requesters")),
        sa.UniqueConstraint("email", name=op.f("uq_desk_requesters_email")),
    )
    with op.batch_alter_table("desk_requesters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_requesters_phone"), ["phone"], unique=False)

    op.create_table(
        "desk_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_desk_categories_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_desk_categories_name")),
    )
    op.create_table(
        "desk_sla_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("p1", "p2", "p3", "p4", name="priority", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("next_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["desk_calendars.id"],
            name=op.f("fk_desk_sla_rules_calendar_id_desk_calendars"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["desk_categories.id"],
            name=op.f("fk_desk_sla_rules_category_id_desk_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_desk_sla_rules_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_desk_sla_rules_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sla_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_desk_sla_rules_name")),
    )
    with op.batch_alter_table("desk_sla_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_sla_rules_position"), ["position"], unique=False)

    op.create_table(
        "desk_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "incident", "request", "question", name="tickettype", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum("p1", "p2", "p3", "p4", name="priority", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "new",
                "open",
                "waiting_on_requester",
                "waiting_on_third_party",
                "resolved",
                "closed",
                name="ticketstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("web", "phone", "api", "email", name="channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sla_rule_id", sa.Integer(), nullable=True),
        sa.Column("sla_reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_desk_tickets_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["desk_categories.id"],
            name=op.f("fk_desk_tickets_category_id_desk_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_desk_tickets_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_desk_tickets_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["desk_requesters.id"],
            name=op.f("fk_desk_tickets_requester_id_desk_requesters"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_desk_tickets_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sla_rule_id"],
            ["desk_sla_rules.id"],
            name=op.f("fk_desk_tickets_sla_rule_id_desk_sla_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_desk_tickets_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_tickets")),
    )
    with op.batch_alter_table("desk_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_tickets_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_desk_tickets_queue", ["state", "team_id", "assignee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_desk_tickets_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "desk_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_requester_id", sa.Integer(), nullable=True),
        sa.Column("at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_requester_id"],
            ["desk_requesters.id"],
            name=op.f("fk_desk_messages_author_requester_id_desk_requesters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_desk_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_messages_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_messages")),
    )
    with op.batch_alter_table("desk_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_messages_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "desk_ticket_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "first_response",
                "next_response",
                "resolution",
                name="target",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("used_seconds", sa.Double(), nullable=False),
        sa.Column("running_since", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warn_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("met_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["desk_calendars.id"],
            name=op.f("fk_desk_ticket_clocks_calendar_id_desk_calendars"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["desk_tickets.id"],
            name=op.f("fk_desk_ticket_clocks_ticket_id_desk_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_ticket_clocks")),
        sa.UniqueConstraint(
            "ticket_id", "target", name=op.f("uq_desk_ticket_clocks_ticket_id_target")
        ),
    )
    with op.batch_alter_table("desk_ticket_clocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_ticket_clocks_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_ticket_clocks_warn_at"), ["warn_at"], unique=False
        )
    op.create_table(
        "desk_portal_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("created_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", takepoint.lib.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["desk_requesters.id"],
            name=op.f("fk_desk_portal_links_requester_id_desk_requesters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_portal_links")),
    )
    with op.batch_alter_table("desk_portal_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_portal_links_requester_id"), ["requester_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("desk_portal_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_portal_links_requester_id"))

    op.drop_table("desk_portal_links")
    with op.batch_alter_table("desk_ticket_clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_ticket_clocks_warn_at"))
        batch_op.drop_index(batch_op.f("ix_desk_ticket_clocks_due_at"))

    op.drop_table("desk_ticket_clocks")
    with op.batch_alter_table("desk_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_messages_ticket_id"))

    op.drop_table("desk_messages")
    with op.batch_alter_table("desk_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_tickets_requester_id"))
        batch_op.drop_index("ix_desk_tickets_queue")
        batch_op.drop_index(batch_op.f("ix_desk_tickets_assignee_id"))

    op.drop_table("desk_tickets")
    with op.batch_alter_table("desk_sla_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_sla_rules_position"))

    op.drop_table("desk_sla_rules")
    op.drop_table("desk_categories")
    with op.batch_alter_table("desk_requesters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_requesters_phone"))

    op.drop_table("desk_requesters")
    op.drop_table("desk_calendars")
