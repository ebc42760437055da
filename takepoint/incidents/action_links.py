"""The page behind the acknowledge and resolve links in messages.

Opening a link only shows the incident and a confirm button: mail scanners open every link,
and a GET must never act. The POST acts as the person the link was made for, once: the link is
marked used in the same unit of work, and refused from then on, even if the incident reopens.
A link whose person's account has changed since (deactivated, another role, a new password) is
refused before anything of the incident is shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.models import User
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.templating import render
from takepoint.notify.link_models import UsedActionLink
from takepoint.notify.links import (
    ActionClaim,
    LinkAction,
    check_person,
    find_use,
    read_token,
    record_use,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


def _open(
    request: Request, session: Session, token: str, now: datetime
) -> tuple[ActionClaim, User, Incident]:
    secret_key = request.app.state.secret_key
    claim = read_token(secret_key=secret_key, token=token, now=now)
    person = check_person(session, secret_key=secret_key, claim=claim)
    return claim, person, incidents.get_incident(session, claim.incident_id)


def _page(
    request: Request,
    claim: ActionClaim,
    person: User,
    incident: Incident,
    token: str,
    *,
    used: UsedActionLink | None = None,
    done: str | None = None,
) -> Response:
    return render(
        request,
        "incidents/confirm.html",
        {
            "incident": incident,
            "person": person,
            "action": claim.action,
            "token": token,
            "used": used,
            "done": done,
            # Whoever opens the link reads it as the person it was made for.
            "tz": person.time_zone,
        },
        status_code=410 if used is not None else 200,
    )


@router.get("/act/{token}")
def confirm_page(request: Request, token: str, session: DbSession, now: Now) -> Response:
    claim, person, incident = _open(request, session, token, now)
    used = find_use(session, claim=claim)
    return _page(request, claim, person, incident, token, used=used)


@router.post("/act/{token}")
def confirm(
    request: Request,
    token: str,
    session: DbSession,
    now: Now,
    note: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    claim, person, incident = _open(request, session, token, now)
    used = find_use(session, claim=claim)
    if used is not None:
        return _page(request, claim, person, incident, token, used=used)
    # Marked before acting, in this unit of work: if the action fails the mark goes with it,
    # and a second POST racing this one waits here and is refused.
    record_use(session, claim=claim, now=now)
    if claim.action is LinkAction.ACKNOWLEDGE:
        incidents.acknowledge(session, incident=incident, user=person, now=now)
        done = f"Acknowledged. {person.display_name} is the point person for #{incident.id}."
    else:
        incidents.resolve(
            session,
            incident=incident,
            user=person,
            note=note or "Resolved from the link in a message.",
            now=now,
        )
        done = f"Resolved #{incident.id}."
    return _page(request, claim, person, incident, token, done=done)
