"""Send what the outbox holds: claim due notifications, send each, record each outcome.

Three commits per message, in this order, so a crash anywhere loses nothing:

1. the claim (a lease of 60 s) is committed before anything is sent;
2. the message is sent with no transaction open (a slow mail server holds no database lock);
3. the outcome is recorded in its own commit, with the delivery listeners.

An engine killed between 2 and 3 leaves a lease that runs out; the next claim sends the message
again with the same idempotency key (the same email Message-ID). Delivery is at least once,
and a repeat is recognisable by its key.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.lib.claims import Claim, Lease, deadlines, earliest
from takepoint.lib.context import context_of
from takepoint.lib.settings import Settings
from takepoint.notify import outbox
from takepoint.notify.models import Notification, NotificationState
from takepoint.notify.transports import TRANSPORTS, TransportError

log = logging.getLogger(__name__)

BATCH = 50


def lease_of(session: Session) -> timedelta:
    """How long a claim holds: an engine killed mid-send delays its messages by this much."""
    return timedelta(seconds=context_of(session).settings.delivery_lease_seconds)


_CLAIM = Claim(
    Notification,
    ready=Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING]),
    due=Notification.due_at,
    values={"state": NotificationState.SENDING, "attempts": Notification.attempts + 1},
    limit=BATCH,
    leased=True,
)


def claim(session: Session, *, worker: str, now: datetime) -> list[int]:
    # The rows themselves are loaded by `outbox.prepare`, in one query with their people
    # (none for a message to a bare address).
    return _CLAIM.ids(session, now=now, lease=Lease(worker, lease_of(session)))


def send(delivery: outbox.Delivery, settings: Settings) -> tuple[TransportError | None, float]:
    """Hand one message to its transport; returns the error, if any, and the time it took."""
    started = time.perf_counter()
    try:
        TRANSPORTS[delivery.kind].send(delivery.message, settings)
        error = None
    except TransportError as exc:
        error = exc
    except Exception as exc:  # a transport's own bug: retried like a network error, and logged
        log.exception("transport %s failed unexpectedly", delivery.kind.value)
        error = TransportError(f"{type(exc).__name__}: {exc}")
    return error, (time.perf_counter() - started) * 1000


def run_once(session: Session, now: datetime) -> int:
    worker = context_of(session).engine_worker
    ids = claim(session, worker=worker, now=now)
    if not ids:
        # Connections stay open while messages keep coming (one SMTP session for a burst of
        # pages) and end at the first run that finds nothing to send.
        close_connections()
        return 0
    deliveries = outbox.prepare(session, ids=ids, worker=worker)
    session.commit()
    try:
        return _send_all(session, deliveries, worker=worker, now=now)
    except BaseException:
        close_connections()
        raise


def close_connections() -> None:
    for transport in TRANSPORTS.values():
        transport.close()


def _send_all(
    session: Session, deliveries: list[outbox.Delivery], *, worker: str, now: datetime
) -> int:
    settings = context_of(session).settings
    started = time.monotonic()
    for index, delivery in enumerate(deliveries):
        # Past half the lease another engine may soon take these rows; leave them to it.
        if time.monotonic() - started > lease_of(session).total_seconds() / 2:
            rest = [d.notification_id for d in deliveries[index:]]
            outbox.release(session, ids=rest, worker=worker)
            session.commit()
            return index
        error, duration_ms = send(delivery, settings)
        try:
            outbox.record(
                session,
                notification_id=delivery.notification_id,
                worker=worker,
                error=error,
                duration_ms=duration_ms,
                now=now,
            )
            session.commit()
        except Exception:  # one message's record must not stop the others; its lease expires
            session.rollback()
            log.exception("recording notification %s failed", delivery.notification_id)
    return len(deliveries)


def next_due(session: Session) -> datetime | None:
    """The earliest pending message, so the delivery lane wakes exactly when it falls due;
    or the end of a dead engine's lease, when its messages become claimable again."""
    return earliest(session, _NEXT_DEADLINES)


_NEXT_DEADLINES = deadlines(
    select(func.min(Notification.due_at)).where(Notification.state == NotificationState.PENDING),
    select(func.min(Notification.lease_until)).where(
        Notification.state == NotificationState.SENDING
    ),
)
