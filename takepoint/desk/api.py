"""The service desk over the API, under /api/v1."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.desk import service as desk
from takepoint.desk import sla
from takepoint.desk.models import Channel, Ticket
from takepoint.desk.schemas import (
    AssignIn,
    CategoryIn,
    CategoryOut,
    ClockOut,
    MessageIn,
    MessageOut,
    PriorityIn,
    RequesterIn,
    RequesterOut,
    SlaExplanation,
    StateIn,
    TicketCreate,
    TicketDetail,
    TicketOut,
)
from takepoint.desk.service import QueueView
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now

router = APIRouter(prefix="/api/v1", tags=["desk"], dependencies=[Depends(csrf.protect)])


def _detail(ticket: Ticket, now: datetime) -> TicketDetail:
    return TicketDetail(
        **TicketOut.model_validate(ticket).model_dump(),
        requester=RequesterOut.model_validate(ticket.requester),
        clocks=[ClockOut.model_validate(sla.view(row, now=now)) for row in ticket.clocks],
    )


# --- requesters -------------------------------------------------------------------------------


@router.post("/requesters", response_model=RequesterOut, status_code=201)
def create_requester(
    body: RequesterIn, principal: Responder, session: DbSession, now: Now
) -> RequesterOut:
    requester = desk.create_requester(session, now=now, **body.model_dump())
    return RequesterOut.model_validate(requester)


@router.get("/requesters", response_model=list[RequesterOut])
def find_requesters(
    principal: Viewer,
    session: DbSession,
    q: str = Query("", max_length=200, description="part of a name, an email or a phone number"),
    limit: int = Query(10, ge=1, le=100),
) -> list[RequesterOut]:
    found = desk.find_requesters(session, query=q, limit=limit)
    return [RequesterOut.model_validate(r) for r in found]


@router.get("/requesters/{requester_id}", response_model=RequesterOut)
def read_requester(requester_id: int, principal: Viewer, session: DbSession) -> RequesterOut:
    return RequesterOut.model_validate(desk.get_requester(session, requester_id))


# --- categories -------------------------------------------------------------------------------


@router.get("/desk/categories", response_model=list[CategoryOut])
def list_categories(principal: Viewer, session: DbSession) -> list[CategoryOut]:
    return [CategoryOut.model_validate(c) for c in desk.list_categories(session)]


@router.post("/desk/categories", response_model=CategoryOut, status_code=201)
def create_category(body: CategoryIn, principal: Admin, session: DbSession) -> CategoryOut:
    category = desk.create_category(session, name=body.name, team_id=body.team_id)
    return CategoryOut.model_validate(category)


# --- tickets ----------------------------------------------------------------------------------


@router.post("/tickets", response_model=TicketDetail, status_code=201)
def open_ticket(
    body: TicketCreate, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.open_ticket(session, user=principal.user, now=now, **body.model_dump())
    return _detail(ticket, now)


@router.get("/tickets", response_model=list[TicketOut])
def list_tickets(
    principal: Viewer,
    session: DbSession,
    now: Now,
    view: QueueView = QueueView.ALL,
    q: str = Query("", max_length=200, description="title, requester name or #number"),
    limit: int = Query(100, ge=1, le=500),
) -> list[TicketOut]:
    found = desk.queue(session, view=view, user=principal.user, now=now, search=q, limit=limit)
    return [TicketOut.model_validate(t) for t in found]


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def read_ticket(ticket_id: int, principal: Viewer, session: DbSession, now: Now) -> TicketDetail:
    return _detail(desk.get_ticket(session, ticket_id), now)


@router.get("/tickets/{ticket_id}/messages", response_model=list[MessageOut])
def list_messages(
    ticket_id: int,
    principal: Viewer,
    session: DbSession,
    public_only: bool = Query(
        False, description="only what the requester sees: public replies, no internal notes"
    ),
) -> list[MessageOut]:
    ticket = desk.get_ticket(session, ticket_id)
    found = desk.messages(session, ticket=ticket, public_only=public_only)
    return [MessageOut.model_validate(m) for m in found]


@router.post("/tickets/{ticket_id}/replies", response_model=MessageOut, status_code=201)
def reply(
    ticket_id: int, body: MessageIn, principal: Responder, session: DbSession, now: Now
) -> MessageOut:
    """A public reply: the requester sees it, and it meets the response targets."""
    message = desk.reply(
        session,
        ticket_id=ticket_id,
        body=body.body,
        user=principal.user,
        now=now,
        channel=Channel.API,
    )
    return MessageOut.model_validate(message)


@router.post("/tickets/{ticket_id}/notes", response_model=MessageOut, status_code=201)
def add_note(
    ticket_id: int, body: MessageIn, principal: Responder, session: DbSession, now: Now
) -> MessageOut:
    """An internal note: never shown to the requester."""
    message = desk.add_note(
        session,
        ticket_id=ticket_id,
        body=body.body,
        user=principal.user,
        now=now,
        channel=Channel.API,
    )
    return MessageOut.model_validate(message)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketDetail)
def assign(
    ticket_id: int, body: AssignIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.assign(
        session,
        ticket_id=ticket_id,
        user=principal.user,
        now=now,
        assignee_id=body.assignee_id,
        team_id=body.team_id,
    )
    return _detail(ticket, now)


@router.post("/tickets/{ticket_id}/state", response_model=TicketDetail)
def set_state(
    ticket_id: int, body: StateIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.set_state(
        session, ticket_id=ticket_id, state=body.state, user=principal.user, now=now
    )
    return _detail(ticket, now)


@router.post("/tickets/{ticket_id}/priority", response_model=TicketDetail)
def set_priority(
    ticket_id: int, body: PriorityIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.set_priority(
        session, ticket_id=ticket_id, priority=body.priority, user=principal.user, now=now
    )
    return _detail(ticket, now)


@router.get("/tickets/{ticket_id}/sla", response_model=SlaExplanation)
def explain_sla(ticket_id: int, principal: Viewer, session: DbSession, now: Now) -> SlaExplanation:
    """Which SLA rule applies and why, and where each clock stands."""
    return SlaExplanation(lines=sla.explain(desk.get_ticket(session, ticket_id), now=now))
