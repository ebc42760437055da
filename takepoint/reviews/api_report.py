"""The incident report over the API: JSON, Markdown or HTML, and emailing it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.incidents import service as incidents
from takepoint.incidents.report import Report, render_html, render_markdown
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.reviews import sharing
from takepoint.reviews.models import Audience
from takepoint.reviews.schemas import EmailIn, SentOut

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=[Depends(csrf.protect)])


class ReportFormat(StrEnum):
    JSON = "json"
    MD = "md"
    HTML = "html"


def _as_json(report: Report, redact: Any) -> dict[str, Any]:
    clean = redact or (lambda text: text)
    # With a redaction this is the version for readers beyond the team.
    beyond_team = redact is not None
    return {
        "incident_id": report.incident_id,
        "title": clean(report.title),
        "zone": report.zone,
        "summary": clean(report.summary),
        "started_at": report.started_at.isoformat(),
        "detected_at": report.detected_at.isoformat(),
        "acknowledged_at": report.acknowledged_at.isoformat() if report.acknowledged_at else None,
        "resolved_at": report.resolved_at.isoformat() if report.resolved_at else None,
        "duration_seconds": report.duration.total_seconds() if report.duration else None,
        "services": report.services,
        "departments": report.departments,
        "timeline": [
            {"at": line.at.isoformat(), "text": clean(line.wording(beyond_team=beyond_team))}
            for line in report.lines
        ],
        "root_cause": clean(report.root_cause),
        "evidence": [clean(item) for item in report.evidence],
        "improvements": [clean(item.text) for item in report.improvements],
        "record": report.record,
    }


_TEXT = {"schema": {"type": "string"}}


@router.get(
    "/incidents/{incident_id}/report",
    responses={
        200: {
            "description": "The report in the `format` asked for.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/markdown": _TEXT,
                "text/html": _TEXT,
            },
        }
    },
)
def read_report(
    incident_id: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
    format: ReportFormat = ReportFormat.JSON,
    audience: Audience = Audience.TEAM,
) -> Response:
    """The factual report: `format` json, md or html; `audience` organisation replaces every
    person's name with their role."""
    incident = incidents.get_incident(session, incident_id)
    report, redact = sharing.report_for(
        session, incident=incident, audience=audience, now=now, zone=principal.user.time_zone
    )
    if format is ReportFormat.MD:
        return Response(render_markdown(report, redact=redact), media_type="text/markdown")
    if format is ReportFormat.HTML:
        return Response(
            render_html(report, redact=redact),
            media_type="text/html",
            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
        )
    return JSONResponse(_as_json(report, redact))


@router.post("/incidents/{incident_id}/report/email", response_model=SentOut, status_code=202)
def email_report(
    incident_id: int, body: EmailIn, principal: Responder, session: DbSession, now: Now
) -> SentOut:
    """Email the report to chosen people. The team version goes to people on the team only."""
    sent = sharing.email_report(
        session,
        incident_id=incident_id,
        user=principal.user,
        recipient_ids=body.user_ids,
        audience=body.audience,
        now=now,
    )
    return SentOut(sent=sent)
