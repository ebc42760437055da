"""The service desk's pages for agents."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role, User
from takepoint.accounts.service import list_users
from takepoint.desk import bulk, queues, requesters, sla
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Level, Priority, Ticket, TicketState
from takepoint.desk.queues import QueueView
from takepoint.desk.requesters import find_staff
from takepoint.lib import csrf
from takepoint.lib.db import MAX_ID
from takepoint.lib.deps import DbSession, Now, PathId
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render

E = TypeVar("E", bound=enum.StrEnum)
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


def to_ticket(ticket_id: int, message: str) -> RedirectResponse:
    return RedirectResponse(f"/desk/tickets/{ticket_id}?flash={quote(message)}", status_code=303)


def optional_id(value: str, field: str) -> int | None:
    """A form's id field: empty for none; anything but a whole number an id can be is refused."""
    value = value.strip()
    if not value:
        return None
    if not is_digits(value) or len(value) > 10 or int(value) > MAX_ID:
        raise InvalidInput(f"{value[:40]!r} is not an id", field=field)
    return int(value)


def choice(kind: type[E], value: str, field: str) -> E | None:
    """A form's select: empty for "not chosen", else one of the enum's values."""
    if not value.strip():
        return None
    try:
        return kind(value.strip())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{value!r} is not one of {allowed}", field=field) from None


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
    tag: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    found = queues.queue(session, view=view, user=principal.user, now=now, search=q, tag=tag)
    return render(
        request,
        "desk/queue.html",
        {
            "tickets": [(t, nearest_clock(t, now)) for t in found],
            "view": view,
            "tabs": TABS,
            "q": q,
            "tag": tag,
            "agents": active_agents(session),
            "states": STATE_BUTTONS,
            "can_act": principal.user.role.allows(Role.RESPONDER),
        },
    )


def active_agents(session: Session) -> list[User]:
    return [u for u in list_users(session) if u.is_active and u.role.allows(Role.RESPONDER)]


@router.post("/desk/bulk")
def bulk_change(
    principal: Responder,
    session: DbSession,
    now: Now,
    action: Annotated[str, Form()],
    ticket_ids: Annotated[list[str] | None, Form()] = None,
    assignee_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    back: Annotated[str, Form(max_length=500)] = "/desk",
) -> Response:
    """Assign or move the ticked tickets of a queue, all or none."""
    ids = [i for i in (optional_id(v, "ticket_ids") for v in ticket_ids or []) if i is not None]
    if action == "assign":
        changed = bulk.bulk_assign(
            session,
            ticket_ids=ids,
            assignee_id=optional_id(assignee_id, "assignee_id"),
            user=principal.user,
            now=now,
        )
        who = changed[0].assignee.display_name if changed and changed[0].assignee else "nobody"
        said = f"{len(changed)} tickets assigned to {who}."
    elif action == "state":
        try:
            chosen = TicketState(state)
        except ValueError:
            raise InvalidInput(f"{state!r} is not a ticket state", field="state") from None
        changed = bulk.bulk_state(
            session, ticket_ids=ids, state=chosen, user=principal.user, now=now
        )
        said = f"{len(changed)} tickets set to {chosen.label.lower()}."
    else:
        raise InvalidInput(f"{action!r} is neither assign nor state", field="action")
    # Back to the queue the agent was on; only a path on this site.
    target = back if back.startswith("/desk") and "//" not in back else "/desk"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}flash={quote(said)}", status_code=303)


@router.get("/desk/call")
def call_page(
    request: Request,
    principal: Responder,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    matches = desk.find_requesters(session, query=q)
    known = {r.user_id for r in matches if r.user_id is not None}
    staff = [u for u in find_staff(session, query=q) if u.id not in known] if q else []
    typed_phone = bool(q) and sum(is_digits(ch) for ch in q) >= 3 and not q.isalpha()
    return render(
        request,
        "desk/call.html",
        {
            "q": q,
            "matches": matches,
            "staff": staff,
            "levels": list(Level),
            # Nobody found: what the agent typed becomes the new requester's name or phone.
            "new_name": "" if matches or staff or typed_phone else q,
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
    priority: Annotated[str, Form()] = "",
    impact: Annotated[str, Form()] = "",
    urgency: Annotated[str, Form()] = "",
    category_id: Annotated[str, Form()] = "",
) -> Response:
    chosen = None
    if requester_id.startswith("user:"):
        staff_id = optional_id(requester_id.removeprefix("user:"), "requester_id")
        if staff_id is not None:
            chosen = requesters.requester_for_user(session, user_id=staff_id, now=now).id
    else:
        chosen = optional_id(requester_id, "requester_id")
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
        priority=choice(Priority, priority, "priority"),
        impact=choice(Level, impact, "impact"),
        urgency=choice(Level, urgency, "urgency"),
        category_id=optional_id(category_id, "category_id"),
        channel=Channel.PHONE,
        user=principal.user,
        now=now,
    )
    return to_ticket(ticket.id, f"Ticket #{ticket.id} logged for {ticket.requester.name}.")


@router.get("/desk/requesters/{requester_id}")
def requester_page(
    request: Request,
    requester_id: PathId,
    principal: Viewer,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A requester, their tickets, and finding a duplicate record of them to merge."""
    requester = desk.get_requester(session, requester_id)
    duplicates = [r for r in desk.find_requesters(session, query=q) if r.id != requester.id]
    return render(
        request,
        "desk/requester.html",
        {
            "requester": requester,
            "tickets": requesters.tickets_of(session, requester_id=requester.id),
            "q": q,
            "duplicates": duplicates,
            "can_act": principal.user.role.allows(Role.RESPONDER),
        },
    )


@router.post("/desk/requesters/{requester_id}/merge")
def merge_requester(
    requester_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    merge_id: Annotated[str, Form()],
) -> Response:
    other = optional_id(merge_id, "merge_id")
    if other is None:
        raise InvalidInput("choose the duplicate record to merge", field="merge_id")
    kept = requesters.merge_requesters(
        session, keep_id=requester_id, merge_id=other, user=principal.user, now=now
    )
    said = quote(f"Merged: {kept.name} is one record now.")
    return RedirectResponse(f"/desk/requesters/{kept.id}?flash={said}", status_code=303)
