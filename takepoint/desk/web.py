"""The service desk's pages for agents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.accounts.service import list_users
from takepoint.desk import service as desk
from takepoint.desk import sla
from takepoint.desk.models import Channel, Priority, Ticket, TicketState
from takepoint.desk.service import QueueView
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.lib.templating import render
from takepoint.timeline.chain import entries

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

TABS = (
    (QueueView.MINE, "Mine"),
    (QueueView.TEAM, "Team"),
    (QueueView.UNASSIGNED, "Unassigned"),
    (QueueView.WAITING, "Waiting"),
    (QueueView.BREACHING, "Breaching soon"),
    (QueueView.ALL, "All"),
)
# The buttons on a ticket page, in the order an agent moves through them.
STATE_BUTTONS = (
    (TicketState.OPEN, "Open"),
    (TicketState.WAITING_ON_REQUESTER, "Waiting on requester"),
    (TicketState.WAITING_ON_THIRD_PARTY, "Waiting on third party"),
    (TicketState.RESOLVED, "Resolved"),
    (TicketState.CLOSED, "Closed"),
)
# What a queue row shows first: a clock that needs someone beats one that is waiting.
_URGENCY = {"breached": 0, "running": 1, "paused": 2}


def _to(ticket_id: int, message: str) -> RedirectResponse:
    return RedirectResponse(f"/desk/tickets/{ticket_id}?flash={quote(message)}", status_code=303)


def _optional_id(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(f"{value!r} is not an id", field=field)
    return int(value)


def nearest_clock(ticket: Ticket, now: datetime) -> sla.ClockView | None:
    """The clock a queue row shows: breached first, then the running one due soonest, then a
    paused one; None when every target is met or none applies."""
    shown = [sla.view(row, now=now) for row in ticket.clocks]
    live = [v for v in shown if v.state in _URGENCY]
    if not live:
        return None
    return min(live, key=lambda v: (_URGENCY[v.state], v.left_seconds))


@router.get("/desk")
def queue_page(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    view: QueueView = QueueView.MINE,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    found = desk.queue(session, view=view, user=principal.user, now=now, search=q)
    return render(
        request,
        "desk/queue.html",
        {
            "tickets": [(t, nearest_clock(t, now)) for t in found],
            "view": view,
            "tabs": TABS,
            "q": q,
            "can_act": principal.user.role.allows(Role.RESPONDER),
        },
    )


@router.get("/desk/call")
def call_page(
    request: Request,
    principal: Responder,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    matches = desk.find_requesters(session, query=q)
    typed_phone = bool(q) and sum(ch.isdigit() for ch in q) >= 3 and not q.isalpha()
    return render(
        request,
        "desk/call.html",
        {
            "q": q,
            "matches": matches,
            # Nobody found: what the agent typed becomes the new requester's name or phone.
            "new_name": "" if matches or typed_phone else q,
            "new_phone": q if typed_phone and not matches else "",
            "categories": desk.list_categories(session),
            "priorities": list(Priority),
        },
    )


@router.post("/desk/call")
def log_call(
    principal: Responder,
    session: DbSession,
    now: Now,
    title: Annotated[str, Form()],
    requester_id: Annotated[str, Form()] = "",
    new_name: Annotated[str, Form(max_length=200)] = "",
    new_phone: Annotated[str, Form(max_length=50)] = "",
    new_email: Annotated[str, Form(max_length=320)] = "",
    description: Annotated[str, Form()] = "",
    priority: Annotated[Priority, Form()] = Priority.P3,
    category_id: Annotated[str, Form()] = "",
) -> Response:
    chosen = _optional_id(requester_id, "requester_id")
    if chosen is None:
        if not new_name.strip():
            raise InvalidInput(
                "pick the caller from the matches, or give a new requester's name",
                field="requester_id",
            )
        chosen = desk.create_requester(
            session, name=new_name, phone=new_phone, email=new_email or None, now=now
        ).id
    ticket = desk.open_ticket(
        session,
        requester_id=chosen,
        title=title,
        description=description,
        priority=priority,
        category_id=_optional_id(category_id, "category_id"),
        channel=Channel.PHONE,
        user=principal.user,
        now=now,
    )
    return _to(ticket.id, f"Ticket #{ticket.id} logged for {ticket.requester.name}.")


@router.get("/desk/tickets/{ticket_id}")
def ticket_page(
    request: Request, ticket_id: int, principal: Viewer, session: DbSession, now: Now
) -> Response:
    ticket = desk.get_ticket(session, ticket_id)
    agents = [u for u in list_users(session) if u.is_active and u.role.allows(Role.RESPONDER)]
    return render(
        request,
        "desk/ticket.html",
        {
            "ticket": ticket,
            "clocks": [sla.view(row, now=now) for row in ticket.clocks],
            "conversation": desk.messages(session, ticket=ticket, public_only=False),
            "timeline": entries(session, ticket.chain),
            "agents": agents,
            "states": STATE_BUTTONS,
            "priorities": list(Priority),
            "can_act": principal.user.role.allows(Role.RESPONDER),
        },
    )


@router.post("/desk/tickets/{ticket_id}/messages")
def add_message(
    ticket_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    body: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "reply",
) -> Response:
    if kind == "note":
        desk.add_note(session, ticket_id=ticket_id, body=body, user=principal.user, now=now)
        return _to(ticket_id, "Internal note added; the requester does not see it.")
    if kind != "reply":
        raise InvalidInput(f"{kind!r} is neither a reply nor a note", field="kind")
    desk.reply(session, ticket_id=ticket_id, body=body, user=principal.user, now=now)
    return _to(ticket_id, "Reply sent to the requester.")


@router.post("/desk/tickets/{ticket_id}/state")
def set_state(
    ticket_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    state: Annotated[TicketState, Form()],
) -> Response:
    desk.set_state(session, ticket_id=ticket_id, state=state, user=principal.user, now=now)
    return _to(ticket_id, f"State: {state.label}.")


@router.post("/desk/tickets/{ticket_id}/assign")
def assign(
    ticket_id: int,
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
        assignee_id=_optional_id(assignee_id, "assignee_id"),
    )
    who = ticket.assignee.display_name if ticket.assignee is not None else "nobody"
    return _to(ticket_id, f"Assigned to {who}.")


@router.post("/desk/tickets/{ticket_id}/priority")
def set_priority(
    ticket_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    priority: Annotated[Priority, Form()],
) -> Response:
    desk.set_priority(session, ticket_id=ticket_id, priority=priority, user=principal.user, now=now)
    return _to(ticket_id, f"Priority {priority.value.upper()}.")
