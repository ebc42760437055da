"""The `mail_import` engine job: stored messages become tickets, replies and notes.

Each row is claimed with a lease (`lib/claims`), so two engines never import the same message
and one killed mid-import leaves its rows to the next. Each message is imported in a savepoint
of its own: whatever one raises (a parser bug, bytes nobody foresaw) rolls back only that
message, which is then kept raw as `failed`, for an admin to see, and the others go on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from takepoint.lib.claims import Claim, Lease, deadlines, earliest
from takepoint.lib.context import context_of
from takepoint.lib.db import rowcount
from takepoint.mail.importer import import_message
from takepoint.mail.models import InboundState, MailMessage

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(seconds=120)

_CLAIM = Claim(
    MailMessage,
    ready=MailMessage.state == InboundState.RECEIVED,
    values={},
    limit=BATCH,
    leased=True,
)


def import_one(session: Session, row: MailMessage, *, now: datetime) -> None:
    settings = context_of(session).settings
    try:
        with session.begin_nested():
            import_message(session, row, settings=settings, now=now)
    except Exception as exc:  # the job boundary for one message: keep it raw, go on
        log.exception("importing mail message %s failed", row.id)
        session.expire(row)
        row.state = InboundState.FAILED
        row.reason = f"could not be read: {type(exc).__name__}: {exc}"[:2000]
        row.imported_at = now
        row.lease_until = None
        session.flush()


def run_once(session: Session, now: datetime) -> int:
    worker = context_of(session).engine_worker
    rows = _CLAIM.rows(session, now=now, lease=Lease(worker, LEASE))
    for row in rows:
        import_one(session, row, now=now)
    return len(rows)


def next_due(session: Session) -> datetime | None:
    """When a dead engine's claim on stored messages runs out."""
    return earliest(session, _NEXT)


_NEXT = deadlines(
    select(func.min(MailMessage.lease_until)).where(MailMessage.state == InboundState.RECEIVED)
)


def import_now(session: Session, *, inbound_id: int, worker: str, now: datetime) -> bool:
    """Import one stored message at once (the pipe, `mailbox fetch`), claiming it as the job
    would, so an engine that got there first keeps it. Whether this call imported it."""
    taken = session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == inbound_id,
            MailMessage.state == InboundState.RECEIVED,
            or_(MailMessage.lease_until.is_(None), MailMessage.lease_until < now),
        )
        .values(claimed_by=worker, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        return False
    row = session.get(MailMessage, inbound_id, populate_existing=True)
    if row is None:
        return False
    import_one(session, row, now=now)
    return True
