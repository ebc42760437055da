"""The service desk over the API, under /api/v1."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.desk import bulk, canned, details, links, presence, queues, requesters, sla
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Ticket
from takepoint.desk.queues import QueueView
from takepoint.desk.schemas import (
    AssignIn,
    BulkAssignIn,
    BulkStateIn,
    CannedText,
    CategoryIn,
    CategoryOut,
    ClockOut,
    ImpactIn,
    IncidentLinkIn,
    MergeIn,
    MessageIn,
    MessageOut,
    PriorityIn,
    RequesterIn,
    RequesterOut,
    SlaExplanation,
    StaffRequesterIn,
    StateIn,
    TagsIn,
    TicketCreate,
    TicketDetail,
    TicketOut,
)
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now, PathId
from takepoint.lib.errors import Conflict

router = APIRouter(prefix="/api/v1", tags=["desk"], dependencies=[Depends(csrf.protect)])


def _detail(session: Session, ticket: Ticket, now: datetime) -> TicketDetail:
    follows, followed_by = desk.follow_ups(session, ticket)
    return TicketDetail(
        **TicketOut.model_validate(ticket).model_dump(),
        requester=RequesterOut.model_validate(ticket.requester),
        clocks=[ClockOut.model_validate(sla.view(row, now=now)) for row in ticket.clocks],
        follows=follows,
        followed_by=followed_by,
        incident_ids=[i.id for i in links.incidents_of(session, ticket.id)],
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
def read_requester(requester_id: PathId, principal: Viewer, session: DbSession) -> RequesterOut:
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
    return _detail(session, ticket, now)


@router.get("/tickets", response_model=list[TicketOut])
def list_tickets(
    principal: Viewer,
    session: DbSession,
    now: Now,
    view: QueueView = QueueView.ALL,
    q: str = Query("", max_length=200, description="title, requester name or #number"),
    tag: str = Query("", max_length=50, description="only tickets with this tag"),
    limit: int = Query(100, ge=1, le=500),
) -> list[TicketOut]:
    found = queues.queue(
        session, view=view, user=principal.user, now=now, search=q, tag=tag, limit=limit
    )
    return [TicketOut.model_validate(t) for t in found]


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def read_ticket(ticket_id: PathId, principal: Viewer, session: DbSession, now: Now) -> TicketDetail:
    return _detail(session, desk.get_ticket(session, ticket_id), now)


@router.get("/tickets/{ticket_id}/messages", response_model=list[MessageOut])
def list_messages(
    ticket_id: PathId,
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
    ticket_id: PathId, body: MessageIn, principal: Responder, session: DbSession, now: Now
) -> MessageOut:
    """A public reply: the requester sees it, and it meets the response targets. With
    `seen_message_id`, a reply written while someone else wrote is refused with 409."""
    if body.seen_message_id is not None:
        held = presence.written_since(
            session, ticket_id=ticket_id, after_id=body.seen_message_id, user=principal.user
        )
        if held:
            who = ", ".join(
                m.author_user.display_name
                if m.author_user
                else (m.author_requester.name if m.author_requester else "Takepoint")
                for m in held
            )
            raise Conflict(
                f"{who} wrote to ticket #{ticket_id} after message {body.seen_message_id}; "
                "read it, then send again without seen_message_id or with the newest id",
                field="seen_message_id",
            )
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
    ticket_id: PathId, body: MessageIn, principal: Responder, session: DbSession, now: Now
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
    ticket_id: PathId, body: AssignIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.assign(
        session,
        ticket_id=ticket_id,
        user=principal.user,
        now=now,
        assignee_id=body.assignee_id,
        team_id=body.team_id,
    )
    return _detail(session, ticket, now)


@router.post("/tickets/{ticket_id}/state", response_model=TicketDetail)
def set_state(
    ticket_id: PathId, body: StateIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.set_state(
        session, ticket_id=ticket_id, state=body.state, user=principal.user, now=now
    )
    return _detail(session, ticket, now)


@router.post("/tickets/{ticket_id}/priority", response_model=TicketDetail)
def set_priority(
    ticket_id: PathId, body: PriorityIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = desk.set_priority(
        session, ticket_id=ticket_id, priority=body.priority, user=principal.user, now=now
    )
    return _detail(session, ticket, now)


@router.get("/tickets/{ticket_id}/sla", response_model=SlaExplanation)
def explain_sla(
    ticket_id: PathId, principal: Viewer, session: DbSession, now: Now
) -> SlaExplanation:
    """Which SLA rule applies and why, and where each clock stands."""
    return SlaExplanation(lines=sla.explain(desk.get_ticket(session, ticket_id), now=now))


@router.put("/tickets/{ticket_id}/tags", response_model=TicketDetail)
def set_tags(
    ticket_id: PathId, body: TagsIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    ticket = details.set_tags(
        session, ticket_id=ticket_id, tags=body.tags, user=principal.user, now=now
    )
    return _detail(session, ticket, now)


@router.post("/tickets/{ticket_id}/impact", response_model=TicketDetail)
def set_impact(
    ticket_id: PathId, body: ImpactIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    """Impact and urgency; the priority matrix gives the priority."""
    ticket = details.set_impact(
        session,
        ticket_id=ticket_id,
        impact=body.impact,
        urgency=body.urgency,
        user=principal.user,
        now=now,
    )
    return _detail(session, ticket, now)


@router.post("/tickets/{ticket_id}/incidents", response_model=TicketDetail, status_code=201)
def link_incident(
    ticket_id: PathId, body: IncidentLinkIn, principal: Responder, session: DbSession, now: Now
) -> TicketDetail:
    """Part of an outage: the incident's close-the-loop news reaches this ticket's requester."""
    links.link(
        session, ticket_id=ticket_id, incident_id=body.incident_id, user=principal.user, now=now
    )
    return _detail(session, desk.get_ticket(session, ticket_id), now)


@router.delete("/tickets/{ticket_id}/incidents/{incident_id}", status_code=204)
def unlink_incident(
    ticket_id: PathId,
    incident_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
) -> None:
    links.unlink(
        session, ticket_id=ticket_id, incident_id=incident_id, user=principal.user, now=now
    )


@router.get("/incidents/{incident_id}/tickets", response_model=list[TicketOut])
def tickets_of_incident(
    incident_id: PathId, principal: Viewer, session: DbSession
) -> list[TicketOut]:
    return [TicketOut.model_validate(t) for t in links.tickets_of(session, incident_id)]


@router.post("/tickets/bulk-assign", response_model=list[TicketOut])
def bulk_assign(
    body: BulkAssignIn, principal: Responder, session: DbSession, now: Now
) -> list[TicketOut]:
    """Assign many tickets: all of them, or none when one cannot be changed."""
    changed = bulk.bulk_assign(
        session,
        ticket_ids=body.ticket_ids,
        assignee_id=body.assignee_id,
        user=principal.user,
        now=now,
    )
    return [TicketOut.model_validate(t) for t in changed]


@router.post("/tickets/bulk-state", response_model=list[TicketOut])
def bulk_state(
    body: BulkStateIn, principal: Responder, session: DbSession, now: Now
) -> list[TicketOut]:
    """Move many tickets to a state: all of them, or none when one cannot be changed."""
    changed = bulk.bulk_state(
        session, ticket_ids=body.ticket_ids, state=body.state, user=principal.user, now=now
    )
    return [TicketOut.model_validate(t) for t in changed]


@router.get("/tickets/{ticket_id}/canned/{reply_id}", response_model=CannedText)
def canned_for_ticket(
    ticket_id: PathId,
    reply_id: PathId,
    principal: Responder,
    session: DbSession,
) -> CannedText:
    """A canned reply with this ticket's placeholders filled in, to edit and send."""
    ticket = desk.get_ticket(session, ticket_id)
    reply = canned.get(session, reply_id)
    return CannedText(
        canned_reply_id=reply.id,
        body=canned.render(reply.body, ticket=ticket, agent=principal.user),
    )


@router.post("/requesters/{requester_id}/merge", response_model=RequesterOut)
def merge_requester(
    requester_id: PathId, body: MergeIn, principal: Responder, session: DbSession, now: Now
) -> RequesterOut:
    """Fold a duplicate record into this one: its tickets and messages move here."""
    kept = requesters.merge_requesters(
        session, keep_id=requester_id, merge_id=body.merge_id, user=principal.user, now=now
    )
    return RequesterOut.model_validate(kept)


@router.post("/requesters/for-user", response_model=RequesterOut)
def requester_for_user(
    body: StaffRequesterIn, principal: Responder, session: DbSession, now: Now
) -> RequesterOut:
    """A staff user as a requester: their record, made from their account the first time."""
    found = requesters.requester_for_user(session, user_id=body.user_id, now=now)
    return RequesterOut.model_validate(found)
