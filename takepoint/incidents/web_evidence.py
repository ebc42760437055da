"""Evidence pages: the incident page's evidence panel, uploads, and serving the files."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.incidents import evidence as evidence_files
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.incidents.record_models import Evidence
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.errors import InvalidInput, PayloadTooLarge
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.timeline.models import EntryKind, TimelineEntry

# Room for the multipart framing and the form's other fields around the file itself.
FORM_OVERHEAD = 64 * 1024
# A served file may never run script or load anything, even if a browser were tricked into
# rendering it.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    "Cache-Control": "private, max-age=3600",
    "Referrer-Policy": "no-referrer",
}


def refuse_oversized(request: Request) -> None:
    """Refuse an upload by its Content-Length before a byte of the body is read."""
    if request.method != "POST":
        return
    limit: int = request.app.state.settings.evidence_max_bytes
    length = request.headers.get("content-length", "")
    if is_digits(length) and int(length) > limit + FORM_OVERHEAD:
        raise PayloadTooLarge(
            f"the file is larger than the {evidence_files.human_size(limit)} limit "
            "(TAKEPOINT_EVIDENCE_MAX_BYTES)",
            field="file",
        )


# The size check runs first: the CSRF check reads a multipart form, which would spool it.
UPLOAD_DEPENDENCIES = [Depends(refuse_oversized), Depends(csrf.protect)]

router = APIRouter(include_in_schema=False, dependencies=UPLOAD_DEPENDENCIES)


def file_response(path: str, evidence: Evidence) -> Response:
    """Images inline; anything else only as a download, never rendered in the page."""
    return FileResponse(
        path,
        media_type=evidence.media_type.value,
        filename=evidence.filename,
        content_disposition_type="inline" if evidence.media_type.is_image else "attachment",
        headers={**FILE_HEADERS, "ETag": f'"{evidence.sha256}"'},
    )


def parse_note_seq(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not is_digits(value):
        raise InvalidInput("choose a note from the list", field="note_seq")
    return int(value)


def _notes(session: Session, incident: Incident) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.chain == incident.chain, TimelineEntry.kind == EntryKind.NOTE)
            .order_by(TimelineEntry.seq)
        )
    )


@router.get("/incidents/{incident_id}/evidence")
def evidence_panel(
    request: Request,
    incident_id: int,
    principal: Viewer,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    context = {
        "incident": incident,
        "evidence": evidence_files.list_evidence(session, incident=incident),
        "notes": _notes(session, incident),
        "can_attach": principal.user.role.allows(Role.RESPONDER),
        "max_size": evidence_files.human_size(settings.evidence_max_bytes),
        "human_size": evidence_files.human_size,
    }
    # htmx fills the incident page's panel; without script, the link opens a page of its own.
    template = "_evidence.html" if request.headers.get("hx-request") else "evidence.html"
    return render(request, f"incidents/{template}", context)


@router.post("/incidents/{incident_id}/evidence")
def upload_evidence(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    file: Annotated[UploadFile, File(description="the photo, screenshot, log or PDF")],
    caption: Annotated[str, Form(max_length=2000)] = "",
    note_seq: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    evidence = evidence_files.attach_evidence(
        session,
        incident=incident,
        user=principal.user,
        upload=file.file,
        filename=file.filename or "",
        caption=caption,
        note_seq=parse_note_seq(note_seq),
        root=evidence_files.evidence_root(settings),
        max_bytes=settings.evidence_max_bytes,
        now=now,
    )
    message = f"Attached {evidence.filename}; its SHA-256 is in the timeline."
    return RedirectResponse(
        f"/incidents/{incident_id}?flash={quote(message)}#evidence", status_code=303
    )


@router.get("/incidents/{incident_id}/evidence/{evidence_id}/file")
def evidence_file(
    incident_id: int,
    evidence_id: int,
    principal: Viewer,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """The file itself: images inline, anything else as an attachment."""
    evidence, path = evidence_files.checked_file(
        session,
        incident_id=incident_id,
        evidence_id=evidence_id,
        root=evidence_files.evidence_root(settings),
    )
    return file_response(str(path), evidence)
