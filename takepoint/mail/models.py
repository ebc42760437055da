"""Desk mail's tables: the mailboxes, every message that came in (raw first), and what went out.

A message is stored raw and committed before anything reads it (`MailMessage.raw`), so a
parser bug or a crash never loses one; `message_id` is unique, so the same mail fetched twice,
or by two engines at once, is one row. Mail that Takepoint sends for the desk is a row of
`mail_outgoing`, unique per desk message, whose Message-ID threads the requester's answer.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import Team
from takepoint.desk.models import Category
from takepoint.lib.db import Base, enum_column


class Security(enum.StrEnum):
    """How the IMAP connection is protected."""

    IMAPS = "imaps"
    STARTTLS = "starttls"
    # Only for a server on the same host (a local Dovecot): the password travels in clear.
    NONE = "none"


class Auth(enum.StrEnum):
    PASSWORD = "password"
    # An OAuth2 access token (Microsoft 365, Gmail), sent with SASL XOAUTH2.
    XOAUTH2 = "xoauth2"


class AfterImport(enum.StrEnum):
    """What happens to a message on the server once it is stored."""

    FLAG = "flag"
    MOVE = "move"


class InboundState(enum.StrEnum):
    # Stored raw, not read yet.
    RECEIVED = "received"
    # On a ticket: a new one, a reply, or a note of an automatic answer or a bounce.
    IMPORTED = "imported"
    # Kept but put on no ticket (our own mail coming back, say); `reason` says why.
    IGNORED = "ignored"
    # Could not be read: kept raw and shown to admins.
    FAILED = "failed"


class OutgoingKind(enum.StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    REPLY = "reply"


class OutgoingState(enum.StrEnum):
    PENDING = "pending"
    # Handed to the outbox (`notification_key`), which sends it.
    QUEUED = "queued"
    # Nothing to send (no address, the rate limit): `reason` says why.
    SKIPPED = "skipped"


class Mailbox(Base):
    """A desk address. With an IMAP host the engine fetches it; without, mail arrives only
    through `takepoint mail-in` (a mail server's pipe).

    `secret` is the password or OAuth2 token as entered, never shown back; `secret_file`, when
    set, is read at every connection instead (a token that a helper refreshes, or a secret
    mounted by Docker or Kubernetes). The engine holding `claimed_by` watches the mailbox
    (IDLE); its lease runs out if that engine dies, and another takes over.
    """

    __tablename__ = "mail_mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_categories.id", ondelete="SET NULL")
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Send new requesters an acknowledgement with the ticket number and the SLA promise.
    acknowledge: Mapped[bool] = mapped_column(Boolean, default=True)
    imap_host: Mapped[str | None] = mapped_column(String(255))
    imap_port: Mapped[int] = mapped_column(default=993)
    security: Mapped[Security] = mapped_column(enum_column(Security), default=Security.IMAPS)
    auth: Mapped[Auth] = mapped_column(enum_column(Auth), default=Auth.PASSWORD)
    username: Mapped[str] = mapped_column(String(320), default="")
    secret: Mapped[str] = mapped_column(Text, default="")
    secret_file: Mapped[str] = mapped_column(String(1000), default="")
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    after_import: Mapped[AfterImport] = mapped_column(
        enum_column(AfterImport), default=AfterImport.FLAG
    )
    # The folder to move to, or the keyword to set.
    after_import_target: Mapped[str] = mapped_column(String(200), default="$Takepoint")
    poll_seconds: Mapped[int] = mapped_column(default=60)
    uidvalidity: Mapped[int | None]
    last_uid: Mapped[int] = mapped_column(default=0)
    next_poll_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")

    @property
    def fetches(self) -> bool:
        return self.enabled and bool(self.imap_host)


class MailMessage(Base):
    """One message that came in, raw as it arrived, and what became of it."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        Index("ix_mail_messages_state", "state"),
        Index("ix_mail_messages_sender_received_at", "sender", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_mailboxes.id", ondelete="SET NULL")
    )
    # The Message-ID header, or one made from the raw bytes' hash when the header is missing.
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    uidvalidity: Mapped[int | None]
    uid: Mapped[int | None]
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    state: Mapped[InboundState] = mapped_column(
        enum_column(InboundState), default=InboundState.RECEIVED
    )
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    # What parsing found, for threading, the rate limit and the pages.
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="SET NULL"), index=True
    )
    desk_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_messages.id", ondelete="SET NULL"), index=True
    )
    imported_at: Mapped[datetime | None]

    mailbox: Mapped[Mailbox | None] = relationship(lazy="joined")


class MailOutgoing(Base):
    """Desk mail Takepoint sends: one acknowledgement per new email ticket, one mail per public
    agent reply (unique per desk message, so no reply goes out twice)."""

    __tablename__ = "mail_outgoing"
    __table_args__ = (
        UniqueConstraint("desk_message_id"),
        Index("ix_mail_outgoing_to_address_created_at", "to_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutgoingKind] = mapped_column(enum_column(OutgoingKind))
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("desk_tickets.id", ondelete="CASCADE"), index=True
    )
    desk_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_messages.id", ondelete="CASCADE")
    )
    # For an acknowledgement: the message it answers.
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_messages.id", ondelete="SET NULL")
    )
    state: Mapped[OutgoingState] = mapped_column(
        enum_column(OutgoingState), default=OutgoingState.PENDING
    )
    to_address: Mapped[str] = mapped_column(String(320), default="")
    # The Message-ID it carries (from the outbox key), for threading the answer.
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    notification_key: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]


__all__ = [
    "AfterImport",
    "Auth",
    "InboundState",
    "MailMessage",
    "MailOutgoing",
    "Mailbox",
    "OutgoingKind",
    "OutgoingState",
    "Security",
]
