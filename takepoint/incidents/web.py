from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.accounts.service import get_user, list_users
from takepoint.catalog import service as catalog
from takepoint.incidents import probable_cause
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentAlert, IncidentSource, IncidentState
from takepoint.lib import csrf
from takepoint.lib.context import context_of
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.templating import render
from takepoint.notify.models import Urgency
from takepoint.oncall.web import people_first
from takepoint.signals.models import Alert
from takepoint.timeline.chain import entries, verify_chain

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])
LIST_PAGE = 200


def _to(incident_id: int, message: str) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{incident_id}?flash={quote(message)}", status_code=303)


@router.get("/incidents")
def incident_list(
    request: Request,
    principal: Viewer,
    session: DbSession,
    view: str = "open",
    service: str = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    wanted = incidents.IncidentFilter(
        open_only=view in ("open", "mine"),
        state=IncidentState.RESOLVED if view == "resolved" else None,
        mine_user_id=principal.user.id if view == "mine" else None,
        service_id=catalog.get_service(session, service).id if service else None,
        limit=LIST_PAGE,
        before=before,
    )
    found = incidents.list_incidents(session, wanted)
    older = found[-1].id if len(found) == LIST_PAGE else None
    return render(
        request,
        "incidents/list.html",
        {"incidents": found, "view": view, "service": service, "older": older},
    )


@router.get("/incidents/new")
def new_incident_page(request: Request, principal: Responder, session: DbSession) -> Response:
    return render(
        request,
        "incidents/new.html",
        {
            "services": catalog.list_services(session),
            "departments": catalog.list_departments(session),
            "urgencies": list(Urgency),
        },
    )


@router.post("/incidents")
def open_incident(
    principal: Responder,
    session: DbSession,
    now: Now,
    service: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=500)],
    urgency: Annotated[Urgency, Form()],
    source: Annotated[IncidentSource, Form()] = IncidentSource.PHONE,
    caller_name: Annotated[str, Form(max_length=200)] = "",
    caller_department: Annotated[str, Form()] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    incident = incidents.open_incident(
        session,
        service=catalog.get_service(session, service),
        title=title,
        urgency=urgency,
        source=source,
        caller_name=caller_name,
        caller_department=catalog.get_department(session, caller_department)
        if caller_department
        else None,
        description=description,
        reporter=principal.user,
        now=now,
    )
    return _to(incident.id, f"Incident #{incident.id} opened; paging has started.")


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request, incident_id: int, principal: Viewer, session: DbSession, now: Now
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    alerts = (
        session.query(Alert)
        .join(IncidentAlert, IncidentAlert.alert_id == Alert.id)
        .filter(IncidentAlert.incident_id == incident.id)
        .order_by(Alert.id)
        .all()
    )
    responders = [u for u in list_users(session) if u.is_active and u.role.allows(Role.RESPONDER)]
    return render(
        request,
        "incidents/page.html",
        {
            "incident": incident,
            "timeline": entries(session, incident.chain),
            "record": verify_chain(session, incident.chain),
            "alerts": alerts,
            "suspects": probable_cause.suspects(session, incident.service, incident=incident),
            "handoff": incidents.pending_handoff_for(session, incident=incident),
            "responders": people_first(session, responders, team=incident.service.team, now=now),
            "can_act": principal.user.role.allows(Role.RESPONDER),
            "sections": [
                (section, section.path.format(incident_id=incident.id))
                for section in context_of(session).registry.incident_sections
            ],
        },
    )


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(incident_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    incidents.acknowledge(
        session, incident=incidents.get_incident(session, incident_id), user=principal.user, now=now
    )
    return _to(incident_id, "Acknowledged: you are the point person.")


@router.post("/incidents/{incident_id}/note")
def add_note(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    text: Annotated[str, Form(max_length=10_000)],
) -> Response:
    incidents.add_note(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        text=text,
        now=now,
    )
    return _to(incident_id, "Note added.")


@router.post("/incidents/{incident_id}/update")
def status_update(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    text: Annotated[str, Form(max_length=2000)],
) -> Response:
    told = incidents.post_status_update(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        text=text,
        now=now,
    )
    return _to(incident_id, f"Update sent to {told} subscriber(s).")


@router.post("/incidents/{incident_id}/handoff")
def handoff(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    to_user_id: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    receiver = get_user(session, to_user_id)
    incidents.request_handoff(
        session,
        incident=incidents.get_incident(session, incident_id),
        giver=principal.user,
        receiver=receiver,
        note=note,
        now=now,
    )
    return _to(
        incident_id,
        f"Asked {receiver.display_name} to take point. You stay point until they accept.",
    )


@router.post("/handoffs/{handoff_id}/accept")
def accept(handoff_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    handoff = incidents.decide_handoff_by_id(
        session, handoff_id=handoff_id, user=principal.user, accept=True, now=now
    )
    return _to(handoff.incident_id, "You are now the point person.")


@router.post("/handoffs/{handoff_id}/decline")
def decline(handoff_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    handoff = incidents.decide_handoff_by_id(
        session, handoff_id=handoff_id, user=principal.user, accept=False, now=now
    )
    return _to(handoff.incident_id, "Handoff declined.")


@router.post("/incidents/{incident_id}/take-point")
def take_point(incident_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    incidents.take_point(
        session, incident=incidents.get_incident(session, incident_id), user=principal.user, now=now
    )
    return _to(incident_id, "You took point.")


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    note: Annotated[str, Form(max_length=10_000)],
) -> Response:
    incidents.resolve(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        note=note,
        now=now,
    )
    return _to(incident_id, "Resolved. The owners, the reporter and subscribers are being told.")


@router.post("/incidents/{incident_id}/reopen")
def reopen(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    incidents.reopen(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        reason=reason,
        now=now,
    )
    return _to(incident_id, "Reopened; you are point.")


@router.post("/incidents/{incident_id}/subscribe")
def subscribe(incident_id: int, principal: Viewer, session: DbSession, now: Now) -> Response:
    incidents.subscribe(
        session, user=principal.user, incident=incidents.get_incident(session, incident_id), now=now
    )
    return _to(incident_id, "Subscribed: you will hear about updates and the resolution.")
