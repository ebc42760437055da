"""Desk mail out: acknowledgements of new email tickets and agents' public replies, sent from
the mailbox's address through the outbox, threaded with In-Reply-To and References.

The desk never knows about mail. The `mail_outgoing` job finds public replies written by an
agent that have no `mail_outgoing` row yet (one INSERT … SELECT, unique per desk message, so
two engines add one row), then claims pending rows (`lib/claims`) and queues each with
`notify_address`, keyed by the row: the Message-ID comes from that key, so the requester's
answer threads back to the ticket, and a repeat after a crash is the same message.

Acknowledgements say `Auto-Submitted: auto-replied` (RFC 3834), so a well-behaved responder
never answers them; agents' replies were written by a person and say `Auto-Submitted: no`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from takepoint.desk.models import Attachment, Message, Requester, Target, Ticket
from takepoint.incidents.evidence import path_for
from takepoint.lib.claims import NOW, Claim
from takepoint.lib.db import is_postgresql
from takepoint.mail import threads
from takepoint.mail.models import (
    InboundState,
    Mailbox,
    MailMessage,
    MailOutgoing,
    OutgoingKind,
    OutgoingState,
)
from takepoint.notify.models import Notification, NotificationState
from takepoint.notify.service import notify_address
from takepoint.notify.transports import message_id
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

BATCH = 100
# Replies older than this when first seen are history, not news (an engine down for longer).
LOOKBACK = timedelta(days=7)
KEY_PREFIX = "mail-out:"
# The evidence store, relative to the data folder (incidents.evidence.evidence_root).
_EVIDENCE = Path("evidence")

_table = MailOutgoing.__table__
_first_mailbox = select(func.min(Mailbox.created_at)).where(Mailbox.enabled.is_(True))
_REPLIES = (
    select(
        Message.id,
        Message.ticket_id,
        literal(OutgoingKind.REPLY.value),
        literal(OutgoingState.PENDING.value),
        Requester.email,
        literal(""),
        NOW,
    )
    .join(Ticket, Ticket.id == Message.ticket_id)
    .join(Requester, Requester.id == Ticket.requester_id)
    .where(
        Message.public.is_(True),
        Message.author_user_id.is_not(None),
        Requester.email.is_not(None),
        Message.at >= _first_mailbox.scalar_subquery(),
        Message.at >= NOW - LOOKBACK,
        ~exists().where(MailOutgoing.desk_message_id == Message.id),
    )
    .order_by(Message.id)
    .limit(BATCH)
)
_COLUMNS = ["desk_message_id", "ticket_id", "kind", "state", "to_address", "reason", "created_at"]
_DISCOVER = {
    name: dialect.insert(_table)
    .from_select(_COLUMNS, _REPLIES)
    .on_conflict_do_nothing(index_elements=["desk_message_id"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_PENDING = Claim(
    MailOutgoing,
    ready=MailOutgoing.state == OutgoingState.PENDING,
    values={"state": OutgoingState.QUEUED, "queued_at": NOW},
    limit=BATCH,
)


def mailbox_for(session: Session, ticket: Ticket) -> Mailbox | None:
    """The mailbox a ticket's mail goes out from: the one it came in through, else one for its
    team, else the first."""
    came_in = session.scalar(
        select(Mailbox)
        .join(MailMessage, MailMessage.mailbox_id == Mailbox.id)
        .where(MailMessage.ticket_id == ticket.id, Mailbox.enabled.is_(True))
        .order_by(MailMessage.id)
        .limit(1)
    )
    if came_in is not None:
        return came_in
    enabled = select(Mailbox).where(Mailbox.enabled.is_(True))
    if ticket.team_id is not None:
        found = session.scalar(enabled.where(Mailbox.team_id == ticket.team_id).limit(1))
        if found is not None:
            return found
    return session.scalar(enabled.order_by(Mailbox.id).limit(1))


def _subject(session: Session, ticket: Ticket) -> str:
    first = session.scalar(
        select(MailMessage.subject)
        .where(MailMessage.ticket_id == ticket.id, MailMessage.state == InboundState.IMPORTED)
        .order_by(MailMessage.id)
        .limit(1)
    )
    return threads.with_token(ticket.id, first or ticket.title)


def _threading(session: Session, row: MailOutgoing, ticket: Ticket) -> dict[str, str]:
    ids = [mid for mid in threads.thread_ids(session, ticket_id=ticket.id) if mid != row.message_id]
    if not ids:
        return {}
    latest_in = session.scalar(
        select(MailMessage.message_id)
        .where(
            MailMessage.ticket_id == ticket.id,
            MailMessage.sender == (ticket.requester.email or ""),
        )
        .order_by(MailMessage.received_at.desc(), MailMessage.id.desc())
        .limit(1)
    )
    return {"In-Reply-To": latest_in or ids[-1], "References": " ".join(ids)}


def promise(ticket: Ticket) -> str:
    """The first-response target in words, in the requester's time zone."""
    for clock in ticket.clocks:
        if clock.target is Target.FIRST_RESPONSE and clock.due_at is not None:
            try:
                zone = ZoneInfo(ticket.requester.time_zone)
            except (KeyError, ValueError):
                zone = ZoneInfo("UTC")
            local = clock.due_at.astimezone(zone)
            return f"We will answer by {local:%A %d %B, %H:%M} ({zone.key})."
    return "We will answer as soon as we can."


def _acknowledgement(ticket: Ticket) -> str:
    first = ticket.requester.name.split()[0] if ticket.requester.name.split() else ""
    return (
        f"Hello {first},\n\n"
        f"we have your request and it is ticket #{ticket.id}: {ticket.title}.\n"
        f"{promise(ticket)}\n\n"
        "To add anything, reply to this email and keep the ticket number in the subject.\n\n"
        "This message was sent automatically.\n"
    )


def _reply_body(message: Message, ticket: Ticket) -> str:
    return (
        f"{message.body.rstrip()}\n\n-- \n"
        f"Ticket #{ticket.id}: {ticket.title}\nReply to this email to answer.\n"
    )


def _files(session: Session, desk_message_id: int) -> list[dict[str, str]]:
    rows = session.scalars(
        select(Attachment).where(Attachment.message_id == desk_message_id).order_by(Attachment.id)
    )
    # Relative to the data folder: the evidence store is `<data dir>/evidence`.
    return [
        {
            "path": str(path_for(_EVIDENCE, row.sha256)),
            "filename": row.filename,
            "content_type": row.media_type.value,
        }
        for row in rows
    ]


def _queue(session: Session, row: MailOutgoing, *, now: datetime) -> None:
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is None:
        return
    mailbox = mailbox_for(session, ticket)
    address = ticket.requester.email
    if mailbox is None or not address:
        row.state = OutgoingState.SKIPPED
        row.reason = "no desk mailbox" if mailbox is None else "the requester has no address"
        return
    key = f"{KEY_PREFIX}{row.id}"
    row.notification_key = key
    row.message_id = message_id(key)
    row.to_address = address
    headers = _threading(session, row, ticket)
    files: list[dict[str, str]] = []
    if row.kind is OutgoingKind.ACKNOWLEDGEMENT:
        subject = _subject(session, ticket)
        body = _acknowledgement(ticket)
        headers.update({"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})
    else:
        message = session.get(Message, row.desk_message_id) if row.desk_message_id else None
        if message is None:
            row.state = OutgoingState.SKIPPED
            row.reason = "the reply is gone"
            return
        subject = f"Re: {_subject(session, ticket)}"
        body = _reply_body(message, ticket)
        headers["Auto-Submitted"] = "no"
        files = _files(session, message.id)
    session.flush()
    notify_address(
        session,
        address=address,
        subject=subject,
        body=body,
        key=key,
        now=now,
        sender=mailbox.address,
        headers=headers,
        attachments=files,
    )


def run_once(session: Session, now: datetime) -> int:
    dialect = "postgresql" if is_postgresql(session) else "sqlite"
    session.execute(_DISCOVER[dialect], {"claim_now": now})
    rows = _PENDING.rows(session, now=now)
    for row in rows:
        _queue(session, row, now=now)
    return len(rows)


def record_failure(session: Session, notification: Notification, attempt: object) -> None:
    """A delivery listener: desk mail the outbox gave up on (the requester's server refused
    it) is recorded on the ticket, as a bounce that came back later would be."""
    if notification.state is not NotificationState.FAILED:
        return
    if not notification.key.startswith(KEY_PREFIX):
        return
    row = session.scalar(
        select(MailOutgoing).where(MailOutgoing.notification_key == notification.key)
    )
    ticket = session.get(Ticket, row.ticket_id) if row is not None else None
    if ticket is None:
        return
    text = (
        f"Could not reach the requester at {notification.address}: "
        f"{notification.last_error or 'the mail was refused'}"
    )
    session.add(Message(ticket_id=ticket.id, public=False, body=text, at=now_of(notification)))
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.DELIVERY,
        text=text,
        at=now_of(notification),
        data={"notification_id": notification.id, "bounce": False},
    )


def now_of(notification: Notification) -> datetime:
    return notification.ended_at or notification.created_at
