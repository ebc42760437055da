"""The page behind the acknowledge and resolve links in messages.

Opening a link only shows the incident and a confirm button: mail scanners open every link,
and a GET must never act. The POST acts as the person the link was made for.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from takepoint.accounts.service import get_user
from takepoint.incidents import service as incidents
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.templating import render
from takepoint.notify.links import LinkAction, read_token

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


@router.get("/act/{token}")
def confirm_page(request: Request, token: str, session: DbSession, now: Now) -> Response:
    claim = read_token(secret_key=request.app.state.secret_key, token=token, now=now)
    incident = incidents.get_incident(session, claim.incident_id)
    person = get_user(session, claim.user_id)
    return render(
        request,
        "incidents/confirm.html",
        {
            "incident": incident,
            "person": person,
            "action": claim.action,
            "token": token,
            "done": None,
        },
    )


@router.post("/act/{token}")
def confirm(
    request: Request,
    token: str,
    session: DbSession,
    now: Now,
    note: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    claim = read_token(secret_key=request.app.state.secret_key, token=token, now=now)
    incident = incidents.get_incident(session, claim.incident_id)
    person = get_user(session, claim.user_id)
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
    return render(
        request,
        "incidents/confirm.html",
        {
            "incident": incident,
            "person": person,
            "action": claim.action,
            "token": token,
            "done": done,
        },
    )
