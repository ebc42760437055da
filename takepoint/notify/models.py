from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import User
from takepoint.lib.db import Base, enum_column


class ContactKind(enum.StrEnum):
    EMAIL = "email"
    APPRISE = "apprise"


class Urgency(enum.StrEnum):
    HIGH = "high"
    LOW = "low"


class NotificationState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (
            NotificationState.SENT,
            NotificationState.FAILED,
            NotificationState.CANCELLED,
        )


class AttemptOutcome(enum.StrEnum):
    SENT = "sent"
    # A temporary failure: the notification is tried again later.
    RETRY = "retry"
    # A permanent failure, or the last retry: the next contact method takes over.
    FAILED = "failed"


class ContactMethod(Base):
    """One way to reach a person: an email address or any Apprise URL.

    `target` may hold secrets (tokens inside Apprise URLs); pages and the API show `display`,
    which Apprise masked when the method was saved.
    """

    __tablename__ = "contact_methods"
    __table_args__ = (UniqueConstraint("user_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind] = mapped_column(enum_column(ContactKind))
    label: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(Text)
    display: Mapped[str] = mapped_column(String(500))
    # Lower comes first: the order of defaults and of fallbacks.
    position: Mapped[int]
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ContactMethod {self.id} {self.kind.value} {self.label!r}>"


class NotificationRule(Base):
    """For an urgency: notify this contact method N minutes in, if still unacknowledged."""

    __tablename__ = "notification_rules"
    __table_args__ = (UniqueConstraint("user_id", "urgency", "contact_method_id", "delay_minutes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency))
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE"), index=True
    )
    delay_minutes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]

    contact_method: Mapped[ContactMethod] = relationship()


class Notification(Base):
    """One message to one person (or one bare email address) through one channel: a row of the
    durable outbox.

    `key` is unique and travels with the message (the email Message-ID is derived from it), so
    a receiver can recognise a repeat after a crash. `group_key` ties together the steps of one
    `notify_user` call and their fallbacks; cancelling a group stops the steps not yet sent.
    `contact_method_id` is empty for messages to the person's account email address: people
    without contact methods, the last fallback, and steps whose method was deleted.
    A message to someone without an account (a service desk requester) has `address` and no
    `user_id`: it is sent there by email and never falls back anywhere else.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_state_due_at", "state", "due_at"),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        CheckConstraint("(user_id IS NULL) <> (address IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    group_key: Mapped[str] = mapped_column(String(500), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str | None] = mapped_column(String(320))
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ContactKind] = mapped_column(enum_column(ContactKind))
    # What the channel was called when the row was made; it outlives the contact method.
    channel: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency))
    state: Mapped[NotificationState] = mapped_column(
        enum_column(NotificationState), default=NotificationState.PENDING
    )
    is_test: Mapped[bool] = mapped_column(default=False)
    # Incidents point here; a plain column because notifications come first in the schema.
    incident_id: Mapped[int | None] = mapped_column(index=True)
    fallback_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # When it was failed or cancelled.
    ended_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # For desk mail (emails to a bare address only): the From address instead of
    # TAKEPOINT_SMTP_FROM, extra headers (In-Reply-To, References, Auto-Submitted) and files
    # to attach, each {"path": relative to the data folder, "filename", "content_type"}.
    sender: Mapped[str | None] = mapped_column(String(320))
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()
    contact_method: Mapped[ContactMethod | None] = relationship()
    delivery_attempts: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.id", viewonly=True
    )

    @property
    def recipient(self) -> str:
        """Who it is for, as pages and timelines name them: the person, or the bare address."""
        if self.user is not None:
            return self.user.display_name
        return self.address or ""

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.key!r} {self.state.value}>"


class DeliveryAttempt(Base):
    """Each try at sending a notification, whatever came of it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    outcome: Mapped[AttemptOutcome] = mapped_column(enum_column(AttemptOutcome))
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float]
    worker: Mapped[str] = mapped_column(String(100))

    notification: Mapped[Notification] = relationship()


__all__ = [
    "AttemptOutcome",
    "ContactKind",
    "ContactMethod",
    "DeliveryAttempt",
    "Notification",
    "NotificationRule",
    "NotificationState",
    "Urgency",
]
