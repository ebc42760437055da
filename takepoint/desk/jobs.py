"""The SLA clocks' engine job: a warning before a target runs out, and the breach when it does.

Both deadlines are columns of `desk_ticket_clocks`, claimed like every other engine deadline
(`lib/claims.py`): taking a warning clears `warn_at`, taking a breach writes `breached_at`, so
each fires once, whatever engines run and however often they restart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.desk.models import Ticket, TicketClock
from takepoint.lib.claims import NOW, Claim, deadlines, earliest
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

BATCH = 500

_RUNNING = (
    TicketClock.met_at.is_(None),
    TicketClock.running_since.is_not(None),
    TicketClock.breached_at.is_(None),
)
_LOAD = (selectinload(TicketClock.ticket).selectinload(Ticket.team),)
_WARNINGS = Claim(
    TicketClock,
    ready=TicketClock.warn_at.is_not(None),
    due=TicketClock.warn_at,
    values={"warn_at": None},
    limit=BATCH,
    options=_LOAD,
)
_BREACHES = Claim(
    TicketClock,
    ready=_RUNNING[0] & _RUNNING[1] & _RUNNING[2],
    due=TicketClock.due_at,
    values={"breached_at": NOW, "warn_at": None},
    limit=BATCH,
    options=_LOAD,
)


def _people(ticket: Ticket, *, with_lead: bool) -> list[User]:
    # The assignee; with nobody assigned, or for a breach, the team's lead as well.
    people = [ticket.assignee] if ticket.assignee is not None else []
    lead = ticket.team.lead if ticket.team is not None else None
    if lead is not None and (with_lead or not people) and lead not in people:
        people.append(lead)
    return [person for person in people if person.is_active]


def _tell(session: Session, row: TicketClock, *, breach: bool, now: datetime) -> None:
    ticket = row.ticket
    what = "breached" if breach else "about to run out"
    text = f"The {row.target.label} target of ticket #{ticket.id} is {what}"
    people = _people(ticket, with_lead=breach)
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.SLA,
        text=f"{text}; told {', '.join(p.display_name for p in people) or 'nobody (no assignee)'}",
        at=now,
        data={"target": row.target.value, "breached": breach},
    )
    for person in people:
        notify_user(
            session,
            user=person,
            subject=f"[SLA] #{ticket.id} {ticket.title}: {row.target.label} {what}",
            body=f"{text}.\n\nRequester: {ticket.requester.name}\nPriority: "
            f"{ticket.priority.value.upper()}\n{ticket.sla_reason}",
            urgency=Urgency.LOW,
            key=f"sla-{'breach' if breach else 'warn'}:{row.id}:{person.id}:{now.timestamp()}",
            now=now,
        )


def run_once(session: Session, now: datetime) -> int:
    done = 0
    for row in _WARNINGS.rows(session, now=now):
        _tell(session, row, breach=False, now=now)
        done += 1
    for row in _BREACHES.rows(session, now=now):
        _tell(session, row, breach=True, now=now)
        done += 1
    return done


def next_due(session: Session) -> datetime | None:
    """The next warning or breach, so the engine wakes exactly then."""
    return earliest(session, _NEXT)


_NEXT = deadlines(
    select(func.min(TicketClock.warn_at)),
    select(func.min(TicketClock.due_at)).where(*_RUNNING),
)
