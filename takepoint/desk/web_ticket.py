"""One ticket's page for agents, and what they do there: reply or note, state, assignee,
priority, impact and urgency, tags, links to incidents.

A reply written while someone else wrote to the ticket is held back once with the other
message shown (the collision notice, see `desk.presence`), and sent when the agent says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role, User
from takepoint.desk import attachments, canned, details, links, presence, sla
from takepoint.desk import service as desk
from takepoint.desk.models import Level, Priority, Ticket, TicketState
from takepoint.desk.web import STATE_BUTTONS, active_agents, choice, optional_id, to_ticket
from takepoint.lib import csrf
from takepoint.lib.db import MAX_ID
from takepoint.lib.deps import DbSession, Now, PathId
from takepoint.lib.errors import InvalidInput
from takepoint.lib.templating import render
from takepoint.timeline.chain import entries

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


def _page(
    request: Request,
    session: Session,
    ticket: Ticket,
    *,
    user: User,
    draft: str = "",
    kind: str = "reply",
    held: list[Any] | None = None,
    status_code: int = 200,
) -> Response:
    now = request.app.state.clock.now()
    can_act = user.role.allows(Role.RESPONDER)
    if can_act:
        presence.seen(session, ticket_id=ticket.id, user=user, now=now)
    follows, followed_by = desk.follow_ups(session, ticket)
    teams = [m.team_id for m in user.memberships]
    return render(
        request,
        "desk/ticket.html",
        {
            "ticket": ticket,
            "clocks": [sla.view(row, now=now) for row in ticket.clocks],
            "conversation": desk.messages(session, ticket=ticket, public_only=False),
            "timeline": entries(session, ticket.chain),
            "agents": active_agents(session),
            "states": STATE_BUTTONS,
            "priorities": list(Priority),
            "levels": list(Level),
            "can_act": can_act,
            "files": attachments.for_ticket(session, ticket, requester_view=False),
            "incidents": links.incidents_of(session, ticket.id),
            "follows": follows,
            "followed_by": followed_by,
            "canned": canned.listing(session, team_ids=teams) if can_act else [],
            "viewers": presence.others_viewing(session, ticket_id=ticket.id, user=user, now=now),
            "seen_message_id": presence.last_message_id(session, ticket_id=ticket.id),
            "draft": draft,
            "kind": kind,
            "held": held or [],
        },
        status_code=status_code,
    )


@router.get("/desk/tickets/{ticket_id}")
def ticket_page(
    request: Request,
    ticket_id: PathId,
    principal: Viewer,
    session: DbSession,
    canned_id: Annotated[int | None, Query(alias="canned", ge=1, le=MAX_ID)] = None,
) -> Response:
    ticket = desk.get_ticket(session, ticket_id)
    draft = ""
    if canned_id is not None:
        draft = canned.render(
            canned.get(session, canned_id).body, ticket=ticket, agent=principal.user
        )
    return _page(request, session, ticket, user=principal.user, draft=draft)


@router.get("/desk/tickets/{ticket_id}/presence")
def presence_notice(
    request: Request,
    ticket_id: PathId,
    principal: Viewer,
    session: DbSession,
    now: Now,
    seen: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The collision notice, polled by the page: who else has the ticket open, and what was
    written since it was loaded."""
    ticket = desk.get_ticket(session, ticket_id)
    if principal.user.role.allows(Role.RESPONDER):
        presence.seen(session, ticket_id=ticket.id, user=principal.user, now=now)
    return render(
        request,
        "desk/_presence.html",
        {
            "ticket": ticket,
            "viewers": presence.others_viewing(
                session, ticket_id=ticket.id, user=principal.user, now=now
            ),
            "held": presence.written_since(
                session, ticket_id=ticket.id, after_id=seen, user=principal.user
            ),
        },
    )


@router.post("/desk/tickets/{ticket_id}/messages")
def add_message(
    request: Request,
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    body: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "reply",
    seen_message_id: Annotated[str, Form()] = "",
    send_anyway: Annotated[str, Form()] = "",
) -> Response:
    if kind not in ("reply", "note"):
        raise InvalidInput(f"{kind!r} is neither a reply nor a note", field="kind")
    seen = optional_id(seen_message_id, "seen_message_id")
    if kind == "reply" and seen is not None and not send_anyway:
        held = presence.written_since(
            session, ticket_id=ticket_id, after_id=seen, user=principal.user
        )
        if held:
            ticket = desk.get_ticket(session, ticket_id)
            return _page(
                request,
                session,
                ticket,
                user=principal.user,
                draft=body,
                kind=kind,
                held=held,
                status_code=409,
            )
    if kind == "note":
        desk.add_note(session, ticket_id=ticket_id, body=body, user=principal.user, now=now)
        return to_ticket(ticket_id, "Internal note added; the requester does not see it.")
    desk.reply(session, ticket_id=ticket_id, body=body, user=principal.user, now=now)
    return to_ticket(ticket_id, "Reply sent to the requester.")


@router.post("/desk/tickets/{ticket_id}/state")
def set_state(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    state: Annotated[TicketState, Form()],
) -> Response:
    desk.set_state(session, ticket_id=ticket_id, state=state, user=principal.user, now=now)
    return to_ticket(ticket_id, f"State: {state.label}.")


@router.post("/desk/tickets/{ticket_id}/assign")
def assign(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    assignee_id: Annotated[str, Form()] = "",
) -> Response:
    ticket = desk.assign(
        session,
        ticket_id=ticket_id,
        user=principal.user,
        now=now,
        assignee_id=optional_id(assignee_id, "assignee_id"),
    )
    who = ticket.assignee.display_name if ticket.assignee is not None else "nobody"
    return to_ticket(ticket_id, f"Assigned to {who}.")


@router.post("/desk/tickets/{ticket_id}/priority")
def set_priority(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    priority: Annotated[Priority, Form()],
) -> Response:
    desk.set_priority(session, ticket_id=ticket_id, priority=priority, user=principal.user, now=now)
    return to_ticket(ticket_id, f"Priority {priority.value.upper()}.")


@router.post("/desk/tickets/{ticket_id}/impact")
def set_impact(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    impact: Annotated[str, Form()],
    urgency: Annotated[str, Form()],
) -> Response:
    chosen_impact = choice(Level, impact, "impact")
    chosen_urgency = choice(Level, urgency, "urgency")
    if chosen_impact is None or chosen_urgency is None:
        raise InvalidInput("choose both impact and urgency", field="impact")
    ticket = details.set_impact(
        session,
        ticket_id=ticket_id,
        impact=chosen_impact,
        urgency=chosen_urgency,
        user=principal.user,
        now=now,
    )
    return to_ticket(
        ticket_id, f"Impact and urgency give priority {ticket.priority.value.upper()}."
    )


@router.post("/desk/tickets/{ticket_id}/tags")
def set_tags(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ticket = details.set_tags(
        session, ticket_id=ticket_id, tags=tags.split(","), user=principal.user, now=now
    )
    return to_ticket(ticket_id, f"Tags: {', '.join(ticket.tags) or 'none'}.")


@router.post("/desk/tickets/{ticket_id}/incidents")
def link_incident(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    incident_id: Annotated[str, Form()],
) -> Response:
    chosen = optional_id(incident_id.strip().lstrip("#"), "incident_id")
    if chosen is None:
        raise InvalidInput("give the incident's number", field="incident_id")
    links.link(session, ticket_id=ticket_id, incident_id=chosen, user=principal.user, now=now)
    return to_ticket(ticket_id, f"Linked to incident #{chosen}; its news will reach the requester.")


@router.post("/desk/tickets/{ticket_id}/incidents/{incident_id}/unlink")
def unlink_incident(
    ticket_id: PathId, incident_id: PathId, principal: Responder, session: DbSession, now: Now
) -> Response:
    links.unlink(
        session, ticket_id=ticket_id, incident_id=incident_id, user=principal.user, now=now
    )
    return to_ticket(ticket_id, f"Unlinked from incident #{incident_id}.")


INCIDENT_TICKETS = "/desk/incidents/{incident_id}/tickets"


@router.get(INCIDENT_TICKETS)
def incident_tickets(
    request: Request, incident_id: PathId, principal: Viewer, session: DbSession
) -> Response:
    """The card on an incident's page: the tickets linked to it, whose requesters its
    close-the-loop will reach."""
    template = (
        "_incident_tickets.html" if request.headers.get("hx-request") else "incident_tickets.html"
    )
    return render(
        request,
        f"desk/{template}",
        {"incident_id": incident_id, "tickets": links.tickets_of(session, incident_id)},
    )
