"""Runbook checklists on the incident page: start one, tick steps, record a department's word."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Principal, Responder, Viewer
from takepoint.accounts.models import Role, User
from takepoint.catalog import service as catalog
from takepoint.catalog.markdown import render_inline
from takepoint.catalog.models import Department
from takepoint.incidents import checklists
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])
# The step a path names, for these pages and the API alike.
StepAt = Annotated[checklists.StepRef, Depends()]


def _back(incident_id: int, message: str) -> RedirectResponse:
    return RedirectResponse(
        f"/incidents/{incident_id}?flash={quote(message)}#checklists", status_code=303
    )


def parse_local_time(value: str, user: User) -> datetime:
    """A `datetime-local` field, read in the viewer's own time zone."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "give the date and time the department answered", field="said_at"
        ) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=ZoneInfo(user.time_zone))


def panel_context(
    session: Session, incident: Incident, principal: Principal, now: datetime
) -> dict[str, Any]:
    started = checklists.list_checklists(session, incident=incident)
    taken = {c.runbook_id for c in started}
    departments: dict[int, Department] = {}
    for checklist in started:
        for step in checklist.steps:
            if step.department_id is not None and step.department_id not in departments:
                departments[step.department_id] = catalog.get_department(
                    session, step.department_id
                )
    user = principal.user
    return {
        "incident": incident,
        "checklists": started,
        "offered": [
            r for r in checklists.offered_runbooks(session, incident=incident) if r.id not in taken
        ],
        "departments": departments,
        "step_html": render_inline,
        "can_act": user.role.allows(Role.RESPONDER) and incident.state.value != "resolved",
        "can_override": incident.point_user_id == user.id or user.role is Role.ADMIN,
        # The default for "when did they answer": now, in the viewer's zone.
        "now_local": now.astimezone(ZoneInfo(user.time_zone)).strftime("%Y-%m-%dT%H:%M"),
    }


@router.get("/incidents/{incident_id}/checklists")
def checklists_panel(
    request: Request, incident_id: int, principal: Viewer, session: DbSession, now: Now
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    context = panel_context(session, incident, principal, now)
    template = "_checklists.html" if request.headers.get("hx-request") else "checklists.html"
    return render(request, f"incidents/{template}", context)


@router.post("/incidents/{incident_id}/checklists")
def start_checklist(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    runbook_id: Annotated[int, Form()],
) -> Response:
    checklist = checklists.start_checklist(
        session, incident_id=incident_id, runbook_id=runbook_id, user=principal.user, now=now
    )
    return _back(incident_id, f"Checklist started: {checklist.title}.")


@router.post("/incidents/{incident_id}/checklists/{checklist_id}/steps/{number}/tick")
def tick_step(at: StepAt, principal: Responder, session: DbSession, now: Now) -> Response:
    checklists.tick(session, at=at, user=principal.user, now=now)
    return _back(at.incident_id, f"Step {at.number} done; it is in the timeline.")


@router.post("/incidents/{incident_id}/checklists/{checklist_id}/steps/{number}/answer")
def record_answer(
    at: StepAt,
    principal: Responder,
    session: DbSession,
    now: Now,
    who: Annotated[str, Form(max_length=200)],
    said_at: Annotated[str, Form(max_length=40)],
    answer: Annotated[str, Form(pattern="^(confirmed|refused)$")],
    words: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    checklists.record_answer(
        session,
        at=at,
        user=principal.user,
        who=who,
        said_at=parse_local_time(said_at, principal.user),
        words=words,
        confirmed=answer == "confirmed",
        now=now,
    )
    if answer == "confirmed":
        return _back(at.incident_id, f"Confirmation recorded: step {at.number} can be ticked.")
    return _back(at.incident_id, f"Refusal recorded: step {at.number} stays undone.")


@router.post("/incidents/{incident_id}/checklists/{checklist_id}/steps/{number}/override")
def override_step(
    at: StepAt,
    principal: Responder,
    session: DbSession,
    now: Now,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    checklists.override(session, at=at, user=principal.user, reason=reason, now=now)
    message = f"Step {at.number} done by override; the reason is in the timeline."
    return _back(at.incident_id, message)
