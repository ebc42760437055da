"""The incident report page: read it, download it, email it to chosen people."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.accounts.service import list_users
from takepoint.incidents import service as incidents
from takepoint.incidents.report import render_html, render_html_body, render_markdown
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.templating import render
from takepoint.reviews import sharing
from takepoint.reviews.models import Audience

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _download(body: str, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={**DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/incidents/{incident_id}/report")
def report_page(
    request: Request,
    incident_id: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
    audience: Audience = Audience.TEAM,
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    report, redact = sharing.report_for(
        session, incident=incident, audience=audience, now=now, zone=principal.user.time_zone
    )
    people = [u for u in list_users(session) if u.is_active]
    return render(
        request,
        "reviews/report.html",
        {
            "incident": incident,
            "body": render_html_body(report, redact=redact),
            "audience": audience,
            "team": [u for u in people if u.role.allows(Role.RESPONDER)],
            "others": [u for u in people if not u.role.allows(Role.RESPONDER)],
            "can_send": principal.user.role.allows(Role.RESPONDER),
            "can_send_widely": sharing.may_share_widely(incident, principal.user),
        },
    )


@router.get("/incidents/{incident_id}/report.md")
def report_markdown(
    incident_id: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
    audience: Audience = Audience.TEAM,
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    report, redact = sharing.report_for(
        session, incident=incident, audience=audience, now=now, zone=principal.user.time_zone
    )
    return _download(
        render_markdown(report, redact=redact),
        "text/markdown; charset=utf-8",
        f"incident-{incident.id}-report-{audience.value}.md",
    )


@router.get("/incidents/{incident_id}/report.html")
def report_document(
    incident_id: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
    audience: Audience = Audience.TEAM,
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    report, redact = sharing.report_for(
        session, incident=incident, audience=audience, now=now, zone=principal.user.time_zone
    )
    return _download(
        render_html(report, redact=redact),
        "text/html; charset=utf-8",
        f"incident-{incident.id}-report-{audience.value}.html",
    )


@router.post("/incidents/{incident_id}/report/email")
def email_report(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    audience: Annotated[Audience, Form()] = Audience.TEAM,
    user_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    sent = sharing.email_report(
        session,
        incident_id=incident_id,
        user=principal.user,
        recipient_ids=user_ids or [],
        audience=audience,
        now=now,
    )
    message = f"The {audience.value} version of the report is on its way to {sent} people."
    return RedirectResponse(
        f"/incidents/{incident_id}/report?audience={audience.value}&flash={quote(message)}",
        status_code=303,
    )
