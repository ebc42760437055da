"""Who else has a ticket open, and what they wrote since you looked: the collision notice.

Opening a ticket's page records the agent as a viewer. A reply form carries the newest message
the agent had seen; a reply sent after another agent wrote is held back once, so the agent
reads the other reply before theirs goes out, instead of both answering the requester.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.desk.models import Message, TicketViewer

# An agent who looked at a ticket this recently counts as having it open.
VIEWING = timedelta(minutes=5)


def seen(session: Session, *, ticket_id: int, user: User, now: datetime) -> None:
    row = session.get(TicketViewer, (ticket_id, user.id))
    if row is None:
        session.add(TicketViewer(ticket_id=ticket_id, user_id=user.id, seen_at=now))
    else:
        row.seen_at = now
    session.flush()


def others_viewing(session: Session, *, ticket_id: int, user: User, now: datetime) -> list[User]:
    rows = session.scalars(
        select(TicketViewer)
        .where(
            TicketViewer.ticket_id == ticket_id,
            TicketViewer.user_id != user.id,
            TicketViewer.seen_at >= now - VIEWING,
        )
        .order_by(TicketViewer.seen_at.desc())
    )
    return [row.user for row in rows.unique() if row.user.is_active]


def last_message_id(session: Session, *, ticket_id: int) -> int:
    found = session.scalar(select(func.max(Message.id)).where(Message.ticket_id == ticket_id))
    return int(found or 0)


def written_since(session: Session, *, ticket_id: int, after_id: int, user: User) -> list[Message]:
    """Messages by other people (agents or the requester) newer than the one the agent saw."""
    query = select(Message).where(Message.ticket_id == ticket_id, Message.id > after_id)
    query = query.where((Message.author_user_id.is_(None)) | (Message.author_user_id != user.id))
    return list(session.scalars(query.order_by(Message.id)).unique())
