"""Small typed helpers for arranging notification tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.clock import FakeClock
from takepoint.lib.settings import Settings
from takepoint.notify import contacts
from takepoint.notify.models import (
    AttemptOutcome,
    ContactKind,
    ContactMethod,
    DeliveryAttempt,
    Notification,
    Urgency,
)


def add_email(
    session: Session, clock: FakeClock, user: User, label: str = "Email", address: str = ""
) -> ContactMethod:
    return contacts.add_contact_method(
        session,
        user=user,
        kind=ContactKind.EMAIL,
        target=address or user.email,
        label=label,
        now=clock.now(),
    )


def add_apprise(
    session: Session, clock: FakeClock, user: User, url: str, label: str = "Push"
) -> ContactMethod:
    return contacts.add_contact_method(
        session, user=user, kind=ContactKind.APPRISE, target=url, label=label, now=clock.now()
    )


def add_rule(
    session: Session,
    clock: FakeClock,
    user: User,
    method: ContactMethod,
    delay_minutes: int,
    urgency: Urgency = Urgency.HIGH,
) -> None:
    contacts.add_rule(
        session,
        user=user,
        urgency=urgency,
        contact_method=method,
        delay_minutes=delay_minutes,
        now=clock.now(),
    )


def reload(session: Session, notification: Notification) -> Notification:
    session.expire_all()
    row = session.get(Notification, notification.id)
    assert row is not None
    return row


def outcomes(session: Session, notification: Notification) -> list[AttemptOutcome]:
    return list(
        session.scalars(
            select(DeliveryAttempt.outcome)
            .where(DeliveryAttempt.notification_id == notification.id)
            .order_by(DeliveryAttempt.id)
        )
    )


# The default delivery lease, which the tests' settings keep.
LEASE = timedelta(seconds=Settings.model_fields["delivery_lease_seconds"].default)
