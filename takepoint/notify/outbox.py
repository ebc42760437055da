"""The delivery side of the outbox: what the engine job reads before sending and writes after.

Retry policy: a temporary failure is tried again after 15 s, 30 s, 60 s, then every 2 minutes;
after 6 attempts, or when the next try would come more than 10 minutes after the first, the
message fails. A failed message (permanent error or retries exhausted) falls back at once to
the person's next contact method in their order, then to their account email: a page always
finds another way while there is one left. A message to a bare address has no other way: it
stays failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from takepoint.lib.context import context_of
from takepoint.notify.contacts import list_contact_methods
from takepoint.notify.models import (
    AttemptOutcome,
    ContactKind,
    ContactMethod,
    DeliveryAttempt,
    Notification,
    NotificationState,
)
from takepoint.notify.service import channel_name
from takepoint.notify.transports import OutgoingFile, OutgoingMessage, TransportError

MAX_ATTEMPTS = 6
GIVE_UP_AFTER = timedelta(minutes=10)
FIRST_RETRY = timedelta(seconds=15)
MAX_RETRY_GAP = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 15 s, 30 s, 60 s, 120 s, 120 s..."""
    delay: timedelta = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY_GAP)
    return delay


@dataclass(frozen=True)
class Delivery:
    notification_id: int
    kind: ContactKind
    message: OutgoingMessage


# Built once: the delivery lane prepares at every wake-up.
_CLAIMED = (
    select(Notification)
    .options(joinedload(Notification.contact_method), joinedload(Notification.user))
    .where(
        Notification.id.in_(bindparam("ids", expanding=True)),
        Notification.claimed_by == bindparam("worker"),
    )
    .order_by(Notification.due_at, Notification.id)
)


def _target(row: Notification) -> tuple[ContactKind, str]:
    if row.contact_method is not None:
        return row.contact_method.kind, row.contact_method.target
    if row.user is not None:
        return ContactKind.EMAIL, row.user.email
    if row.address is None:  # the table's check constraint rules this out
        raise LookupError(f"notification {row.id} has no recipient")
    return ContactKind.EMAIL, row.address


def prepare(session: Session, *, ids: list[int], worker: str) -> list[Delivery]:
    """The claimed rows as messages ready to send, addressed to their current targets."""
    rows = session.scalars(_CLAIMED, {"ids": ids, "worker": worker})
    deliveries = []
    for row in rows:
        kind, to = _target(row)
        deliveries.append(
            Delivery(
                notification_id=row.id,
                kind=kind,
                message=OutgoingMessage(
                    key=row.key,
                    to=to,
                    subject=row.subject,
                    body=row.body,
                    html=row.html,
                    urgency=row.urgency,
                    sender=row.sender,
                    headers=tuple((row.headers or {}).items()),
                    files=tuple(
                        OutgoingFile(
                            path=item["path"],
                            filename=item["filename"],
                            content_type=item["content_type"],
                        )
                        for item in row.attachments or ()
                    ),
                ),
            )
        )
    return deliveries


def release(session: Session, *, ids: list[int], worker: str) -> None:
    """Hand back claims this engine will not get to, so the next cycle takes them at once."""
    if not ids:
        return
    session.execute(
        update(Notification)
        .where(
            Notification.id.in_(ids),
            Notification.claimed_by == worker,
            Notification.state == NotificationState.SENDING,
        )
        .values(
            state=NotificationState.PENDING,
            claimed_by=None,
            lease_until=None,
            attempts=Notification.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    )


def _gives_up(session: Session, row: Notification, now: datetime) -> bool:
    if row.attempts >= MAX_ATTEMPTS:
        return True
    first = session.scalar(
        select(func.min(DeliveryAttempt.at)).where(DeliveryAttempt.notification_id == row.id)
    )
    started = min(first, now) if first is not None else now
    return now + retry_delay(row.attempts) - started > GIVE_UP_AFTER


def record(
    session: Session,
    *,
    notification_id: int,
    worker: str,
    error: TransportError | None,
    duration_ms: float,
    now: datetime,
) -> DeliveryAttempt:
    """Record one attempt and its consequence, then tell the delivery listeners.

    Only the engine holding the claim moves the notification on; an engine whose lease was
    taken over still records what it did, because that message did go out (or not).
    """
    # The person comes along: every delivery listener names them. Only the row is locked. An
    # outer join: a message to a bare address has no person.
    row = session.get(
        Notification,
        notification_id,
        options=[joinedload(Notification.user)],
        with_for_update={"of": Notification},
        populate_existing=True,
    )
    if row is None:  # its person was deleted meanwhile
        raise LookupError(f"notification {notification_id} is gone")
    if error is None:
        outcome = AttemptOutcome.SENT
    elif error.permanent or _gives_up(session, row, now):
        outcome = AttemptOutcome.FAILED
    else:
        outcome = AttemptOutcome.RETRY
    attempt = DeliveryAttempt(
        notification_id=row.id,
        at=now,
        outcome=outcome,
        error=error.message.replace("\x00", "")[:2000] if error else None,
        duration_ms=round(duration_ms, 3),
        worker=worker,
    )
    session.add(attempt)
    if row.claimed_by == worker and row.state is NotificationState.SENDING:
        row.lease_until = None
        if outcome is AttemptOutcome.SENT:
            row.state = NotificationState.SENT
            row.sent_at = now
        elif outcome is AttemptOutcome.RETRY:
            row.state = NotificationState.PENDING
            row.due_at = now + retry_delay(row.attempts)
            row.last_error = attempt.error
        else:
            row.state = NotificationState.FAILED
            row.ended_at = now
            row.last_error = attempt.error
            fall_back(session, failed=row, now=now)
    session.flush()
    # The registry's delivery listeners (an incident's timeline records every attempt) run
    # inside the transaction that records the attempt; one that raises rolls the record back,
    # and the message is retried when its lease runs out.
    for listener in context_of(session).registry.delivery_listeners:
        listener(session, row, attempt)
    return attempt


def _next_target(
    methods: list[ContactMethod], failed: Notification, used: set[int | None], account: str
) -> tuple[bool, ContactMethod | None]:
    ids = [m.id for m in methods]
    start = ids.index(failed.contact_method_id) + 1 if failed.contact_method_id in ids else 0
    for method in methods[start:] + methods[:start]:
        if method.id not in used:
            return True, method
    covered = any(m.kind is ContactKind.EMAIL and m.target == account for m in methods)
    if None not in used and not covered:
        return True, None
    return False, None


def fall_back(session: Session, *, failed: Notification, now: datetime) -> Notification | None:
    """Send a failed message through the person's next contact method not yet used for it.

    Tests and messages to a bare address (no person, so no other way) do not fall back.
    """
    user = failed.user
    if failed.is_test or user is None:
        return None
    key = f"{failed.key}/fallback"
    if session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return None
    used = set(
        session.scalars(
            select(Notification.contact_method_id).where(Notification.group_key == failed.group_key)
        )
    )
    found, method = _next_target(list_contact_methods(session, user=user), failed, used, user.email)
    if not found:
        return None
    row = Notification(
        key=key,
        group_key=failed.group_key,
        user_id=failed.user_id,
        contact_method_id=method.id if method else None,
        kind=method.kind if method else ContactKind.EMAIL,
        channel=channel_name(method, user),
        subject=failed.subject,
        body=failed.body,
        html=failed.html,
        urgency=failed.urgency,
        state=NotificationState.PENDING,
        incident_id=failed.incident_id,
        fallback_of_id=failed.id,
        due_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
