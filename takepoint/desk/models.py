"""The service desk's tables: requesters, tickets, their messages and their SLA clocks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Department, Service
from takepoint.incidents.record_models import EvidenceType
from takepoint.lib.db import Base, enum_column


class TicketState(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_ON_REQUESTER = "waiting_on_requester"
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def paused(self) -> bool:
        """Waiting on someone outside IT: the SLA clocks stop."""
        return self in (TicketState.WAITING_ON_REQUESTER, TicketState.WAITING_ON_THIRD_PARTY)

    @property
    def finished(self) -> bool:
        return self in (TicketState.RESOLVED, TicketState.CLOSED)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class TicketType(enum.StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"
    QUESTION = "question"


class Priority(enum.StrEnum):
    P1 = "p1"
    P2 = "p2"
    P3 = "p3"
    P4 = "p4"


class Level(enum.StrEnum):
    """Impact (how many are hurt) or urgency (how soon it hurts), for the priority matrix."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Channel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"
    API = "api"
    EMAIL = "email"


class Target(enum.StrEnum):
    """What an SLA clock times."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


def _trigram_index(name: str, column: str) -> Index:
    """A PostgreSQL trigram index for searching `column` anywhere in the text (pg_trgm). SQLite
    has none: there the index exists with no rows (`WHERE 0`), so both databases keep the same
    schema; so does PostgreSQL without pg_trgm (migration 20261204_0013)."""
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
        sqlite_where=text("0"),
    )


class Requester(Base):
    """Someone IT serves. Needs no password; may also be a staff user."""

    __tablename__ = "desk_requesters"
    __table_args__ = (_trigram_index("ix_desk_requesters_name_trgm", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str] = mapped_column(String(50), default="", index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    organisation: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(20), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    department: Mapped[Department | None] = relationship(lazy="joined")


class Category(Base):
    """An admin-defined kind of request ("Printing", "Accounts"), with the team that takes it."""

    __tablename__ = "desk_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))

    team: Mapped[Team | None] = relationship(lazy="joined")


class CalendarRow(Base):
    """A business calendar as stored: weekly spans in minutes since local midnight, per weekday
    (0 = Monday), and closed days. `desk.calendars.BusinessCalendar` is its working form."""

    __tablename__ = "desk_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    weekly: Mapped[dict[str, Any]] = mapped_column(JSON)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)


class SlaRule(Base):
    """One rule of the SLA policy: the first rule, by position, whose conditions all hold for a
    ticket sets its targets. An empty condition matches anything."""

    __tablename__ = "desk_sla_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(index=True)
    priority: Mapped[Priority | None] = mapped_column(enum_column(Priority))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_categories.id", ondelete="CASCADE")
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    vip: Mapped[bool | None] = mapped_column(Boolean)
    # None: calendar time (every hour counts).
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_calendars.id", ondelete="RESTRICT")
    )
    first_response_minutes: Mapped[int | None]
    next_response_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int | None]
    # Per target: counted on the rule's calendar (business time), or False for calendar time.
    first_response_business: Mapped[bool] = mapped_column(Boolean, default=True)
    next_response_business: Mapped[bool] = mapped_column(Boolean, default=True)
    resolution_business: Mapped[bool] = mapped_column(Boolean, default=True)
    # The assignee is warned when this share (in percent) of a target is used.
    warn_percent: Mapped[int] = mapped_column(default=75)

    calendar: Mapped[CalendarRow | None] = relationship(lazy="joined")


class PriorityCell(Base):
    """One cell of the priority matrix: impact and urgency give the priority."""

    __tablename__ = "desk_priority_matrix"

    impact: Mapped[Level] = mapped_column(enum_column(Level), primary_key=True)
    urgency: Mapped[Level] = mapped_column(enum_column(Level), primary_key=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))


class Ticket(Base):
    __tablename__ = "desk_tickets"
    # The queues read tickets by state, assignee, team or requester, newest first, and search
    # titles (see desk.queues).
    __table_args__ = (
        Index("ix_desk_tickets_state_id", "state", "id"),
        Index("ix_desk_tickets_assignee_id_state_id", "assignee_id", "state", "id"),
        Index("ix_desk_tickets_team_id_state_id", "team_id", "state", "id"),
        Index("ix_desk_tickets_requester_id_state_id", "requester_id", "state", "id"),
        _trigram_index("ix_desk_tickets_title_trgm", "title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    requester_id: Mapped[int] = mapped_column(ForeignKey("desk_requesters.id"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_categories.id", ondelete="SET NULL")
    )
    type: Mapped[TicketType] = mapped_column(enum_column(TicketType))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    # When both are set, the priority came from the matrix (unless an agent chose another).
    impact: Mapped[Level | None] = mapped_column(enum_column(Level))
    urgency: Mapped[Level | None] = mapped_column(enum_column(Level))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[TicketState] = mapped_column(enum_column(TicketState), default=TicketState.NEW)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # The SLA rule that applies, and why, as the ticket page and `takepoint sla explain` say it.
    sla_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_sla_rules.id", ondelete="SET NULL")
    )
    sla_reason: Mapped[str] = mapped_column(String(300), default="")
    # What really caused it ("power cable unplugged"), shown to the requester once IT shares it.
    root_cause: Mapped[str] = mapped_column(Text, default="")
    root_cause_shared: Mapped[bool] = mapped_column(Boolean, default=False)

    requester: Mapped[Requester] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    service: Mapped[Service | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    sla_rule: Mapped[SlaRule | None] = relationship(lazy="joined")
    clocks: Mapped[list[TicketClock]] = relationship(
        back_populates="ticket", order_by="TicketClock.id", cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list[TicketTag]] = relationship(
        order_by="TicketTag.tag", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def chain(self) -> str:
        return chain_of(self.id)


def chain_of(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


class Message(Base):
    """A public reply (the requester sees it) or an internal note (never shown to them)."""

    __tablename__ = "desk_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), index=True
    )
    public: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    # How it arrived (or went out): the web, a phone call, the API, email; None for Takepoint's
    # own messages (news of a linked incident, say).
    channel: Mapped[Channel | None] = mapped_column(enum_column(Channel))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_requesters.id", ondelete="SET NULL")
    )
    at: Mapped[datetime]

    author_user: Mapped[User | None] = relationship(lazy="joined")
    author_requester: Mapped[Requester | None] = relationship(lazy="joined")


class TicketClock(Base):
    """One SLA target of one ticket. Business time already used is kept in `used_seconds`;
    while it runs, `running_since` says since when. `due_at` and `warn_at` are the deadlines the
    engine claims (empty while paused, met or already fired)."""

    __tablename__ = "desk_ticket_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target"),
        # Deadline order with the queue's tie-break, for the engine and "breaching soon".
        Index("ix_desk_ticket_clocks_due_at_ticket_id", "due_at", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("desk_tickets.id", ondelete="CASCADE"))
    target: Mapped[Target] = mapped_column(enum_column(Target))
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_calendars.id", ondelete="SET NULL")
    )
    target_seconds: Mapped[int]
    used_seconds: Mapped[float] = mapped_column(default=0.0)
    running_since: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None] = mapped_column(index=True)
    met_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="clocks")
    calendar: Mapped[CalendarRow | None] = relationship(lazy="joined")


class PortalLink(Base):
    """A one-time sign-in link emailed to a requester. The emailed token signs this row's id;
    using it sets `used_at`, so a second use (or a mail scanner's first) finds it spent."""

    __tablename__ = "desk_portal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("desk_requesters.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class TicketTag(Base):
    __tablename__ = "desk_ticket_tags"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class FollowUp(Base):
    """A ticket opened by a reply to an older one (after the reopen window, or once closed)."""

    __tablename__ = "desk_follow_ups"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    follows_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), index=True
    )


class IncidentLink(Base):
    """A ticket about an outage that an incident tracks: many tickets, one incident."""

    __tablename__ = "desk_incident_links"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime]


class CannedReply(Base):
    """A reply an agent starts from, with placeholders; a team's own, or everyone's (no team)."""

    __tablename__ = "desk_canned_replies"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)

    team: Mapped[Team | None] = relationship(lazy="joined")


class TicketViewer(Base):
    """Who has a ticket open, and since when they last looked: for the collision notice."""

    __tablename__ = "desk_ticket_viewers"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class Attachment(Base):
    """A file on a ticket (a photo, a log), stored in the evidence store by its hash. `shared`
    files are shown to the requester: theirs, those on public replies, and proof IT chose to
    show; a file on an internal note never is."""

    __tablename__ = "desk_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_messages.id", ondelete="SET NULL")
    )
    # The timeline entry (its seq in the ticket's chain) that recorded the file and its hash.
    entry_seq: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    media_type: Mapped[EvidenceType] = mapped_column(enum_column(EvidenceType))
    filename: Mapped[str] = mapped_column(String(255))
    caption: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_by_requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_requesters.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime]
