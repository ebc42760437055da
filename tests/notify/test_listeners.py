"""Delivery listeners see every attempt, inside the transaction that records it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.registry import DeliveryListener, DomainParts
from takepoint.notify.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
    NotificationState,
    Urgency,
)
from takepoint.notify.service import notify_user
from tests.conftest import BoundDatabase
from tests.factories import make_user, with_parts
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import LEASE, add_email, outcomes, reload
from tests.notify.receivers import SmtpReceiver

Seen = list[tuple[str, NotificationState, AttemptOutcome]]


def _listen(db: BoundDatabase, listener: DeliveryListener) -> None:
    # The engine's jobs are bound to the database's context; give it a registry that has the
    # listener too, after every domain's own.
    parts = DomainParts(f"listener {listener.__qualname__}", delivery_listeners=(listener,))
    db.context = with_parts(db.context, parts)


@pytest.fixture
def seen(db: BoundDatabase) -> Seen:
    calls: Seen = []

    def listener(session: Session, notification: Notification, attempt: DeliveryAttempt) -> None:
        calls.append((notification.key, notification.state, attempt.outcome))

    _listen(db, listener)
    return calls


def _page(session: Session, clock: FakeClock) -> Notification:
    user = make_user(session, clock)
    add_email(session, clock, user)
    (row,) = notify_user(
        session,
        user=user,
        subject="Printer queue stuck",
        body="…",
        urgency=Urgency.HIGH,
        key="page:5",
        now=clock.now(),
    )
    return row


def test_it_tells_listeners_about_each_retry_and_the_delivery(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    seen: Seen,
) -> None:
    row = _page(session, clock)
    smtp_server.stop()
    run_deliver()
    smtp_server.start()
    run_deliver.run_for(timedelta(seconds=15))

    assert seen == [
        (row.key, NotificationState.PENDING, AttemptOutcome.RETRY),
        (row.key, NotificationState.SENT, AttemptOutcome.SENT),
    ]


def test_it_rolls_the_record_back_when_a_listener_fails_and_sends_again_later(
    db: BoundDatabase,
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    seen: Seen,
) -> None:
    row = _page(session, clock)

    def broken(session: Session, notification: Notification, attempt: DeliveryAttempt) -> None:
        raise RuntimeError("timeline unavailable")

    working = db.context
    _listen(db, broken)
    run_deliver()
    db.context = working  # the timeline is back

    assert reload(session, row).state is NotificationState.SENDING
    assert outcomes(session, row) == []
    clock.advance(LEASE + timedelta(seconds=1))
    run_deliver()

    assert reload(session, row).state is NotificationState.SENT
    assert outcomes(session, row) == [AttemptOutcome.SENT]
    assert smtp_server.by_key() == {row.key: 2}
