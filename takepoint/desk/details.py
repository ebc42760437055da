"""A ticket's details beyond its state: tags, and impact and urgency with the priority they give.

Each change is a fact in the ticket's chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.desk import matrix
from takepoint.desk.models import Level, Ticket, TicketTag
from takepoint.desk.service import clean_tags, get_ticket, require_agent, require_open, set_priority
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind


def set_tags(
    session: Session, *, ticket_id: int, tags: Iterable[str], user: User, now: datetime
) -> Ticket:
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    wanted = clean_tags(tags)
    before = ticket.tags
    if wanted == before:
        return ticket
    ticket.tag_rows = [TicketTag(tag=tag) for tag in wanted]
    ticket.updated_at = now
    session.flush()
    added = sorted(set(wanted) - set(before))
    removed = sorted(set(before) - set(wanted))
    said = "; ".join(
        part
        for part in (
            f"added {', '.join(added)}" if added else "",
            f"removed {', '.join(removed)}" if removed else "",
        )
        if part
    )
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.UPDATED,
        text=f"{user.display_name}: tags {said}",
        at=now,
        actor_id=user.id,
        data={"tags": wanted},
    )
    return ticket


def set_impact(
    session: Session,
    *,
    ticket_id: int,
    impact: Level,
    urgency: Level,
    user: User,
    now: datetime,
) -> Ticket:
    """Record impact and urgency; the matrix gives the priority, which chooses the SLA rule
    again the way a priority change does (clocks keep the time they have used)."""
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    require_open(ticket, "a change of impact")
    if (ticket.impact, ticket.urgency) != (impact, urgency):
        ticket.impact, ticket.urgency = impact, urgency
        ticket.updated_at = now
        append(
            session,
            chain=ticket.chain,
            kind=EntryKind.UPDATED,
            text=f"{user.display_name}: impact {impact.value}, urgency {urgency.value}",
            at=now,
            actor_id=user.id,
            data={"impact": impact.value, "urgency": urgency.value},
        )
    return set_priority(
        session,
        ticket_id=ticket.id,
        priority=matrix.priority_for(session, impact, urgency),
        user=user,
        now=now,
    )
