"""Tickets about an outage, linked to the incident that tracks it: many tickets, one incident.

When the incident closes the loop (it is resolved, say), every linked ticket's requester hears
how it went: the news is a public message on their ticket, in its chain, and an email to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.desk.models import IncidentLink, Message, Ticket, TicketState
from takepoint.incidents.models import Incident
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.lib.registry import IncidentNews
from takepoint.notify.service import notify_address
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"there is no ticket #{ticket_id}")
    return ticket


def link(
    session: Session, *, ticket_id: int, incident_id: int, user: User, now: datetime
) -> IncidentLink:
    ticket = _ticket(session, ticket_id)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise InvalidInput(f"there is no incident #{incident_id}", field="incident_id")
    if session.get(IncidentLink, (ticket.id, incident.id)) is not None:
        raise Conflict(f"ticket #{ticket.id} is linked to incident #{incident.id} already")
    row = IncidentLink(
        ticket_id=ticket.id, incident_id=incident.id, linked_by_id=user.id, linked_at=now
    )
    session.add(row)
    session.flush()
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.LINKED,
        text=f"{user.display_name} linked the ticket to incident #{incident.id}: {incident.title}",
        at=now,
        actor_id=user.id,
        data={"incident_id": incident.id},
    )
    return row


def unlink(
    session: Session, *, ticket_id: int, incident_id: int, user: User, now: datetime
) -> None:
    ticket = _ticket(session, ticket_id)
    row = session.get(IncidentLink, (ticket.id, incident_id))
    if row is None:
        raise NotFound(f"ticket #{ticket.id} is not linked to incident #{incident_id}")
    session.delete(row)
    session.flush()
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.LINKED,
        text=f"{user.display_name} unlinked the ticket from incident #{incident_id}",
        at=now,
        actor_id=user.id,
        data={"incident_id": incident_id, "unlinked": True},
    )


def incidents_of(session: Session, ticket_id: int) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident)
            .join(IncidentLink, IncidentLink.incident_id == Incident.id)
            .where(IncidentLink.ticket_id == ticket_id)
            .order_by(Incident.id)
        ).unique()
    )


def tickets_of(session: Session, incident_id: int) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .join(IncidentLink, IncidentLink.ticket_id == Ticket.id)
            .where(IncidentLink.incident_id == incident_id)
            .order_by(Ticket.id)
        ).unique()
    )


def _news_for_requester(ticket: Ticket, news: IncidentNews) -> str:
    first = ticket.requester.name.split()[0] if ticket.requester.name.split() else ""
    return (
        f"Hello {first},\n\n"
        f"Your request #{ticket.id} ({ticket.title}) is part of a wider problem that IT is "
        f"working on. The latest news: the problem is {news.state}.\n\n{news.summary}\n"
    )


def tell_linked_requesters(session: Session, news: IncidentNews) -> None:
    """Close the loop for every ticket linked to the incident: a public message on the ticket
    and, for a requester with an email address, a mail; closed tickets are left in peace."""
    for ticket in tickets_of(session, news.incident_id):
        if ticket.state is TicketState.CLOSED:
            continue
        body = _news_for_requester(ticket, news)
        message = Message(ticket_id=ticket.id, public=True, body=body, at=news.at)
        session.add(message)
        ticket.updated_at = news.at
        session.flush()
        append(
            session,
            chain=ticket.chain,
            kind=EntryKind.CLOSE_THE_LOOP,
            text=f"The requester was told that incident #{news.incident_id} is {news.state}",
            at=news.at,
            data={"incident_id": news.incident_id, "message_id": message.id},
        )
        if ticket.requester.email:
            notify_address(
                session,
                address=ticket.requester.email,
                subject=f"[#{ticket.id}] {ticket.title}: the problem is {news.state}",
                body=body,
                key=f"desk-loop:{ticket.id}:{news.incident_id}:{news.at.timestamp()}",
                now=news.at,
            )
