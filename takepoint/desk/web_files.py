"""A ticket's files and root cause on the agent's pages, and serving the files.

The ticket page shows the cards (`desk/_files.html`, `desk/_root_cause.html`); their forms post
here and come back to the page. Files are served as the incidents' evidence is: images inline,
everything else only as a download, never rendered, and always with `nosniff` and a sandbox.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from starlette.responses import FileResponse, RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.desk import attachments
from takepoint.desk import service as desk
from takepoint.desk.attachments import TicketFile
from takepoint.incidents.evidence import MAX_CAPTION, evidence_root
from takepoint.incidents.web_evidence import FILE_HEADERS, UPLOAD_DEPENDENCIES
from takepoint.lib.deps import AppSettings, DbSession, Now, PathId

# An id no row can have is refused as input (422) before it reaches the database, where SQLite
# would overflow and PostgreSQL refuse it.

# The size check runs before the CSRF check, which reads (and would spool) the whole form.
router = APIRouter(include_in_schema=False, dependencies=UPLOAD_DEPENDENCIES)


def content_disposition(kind: str, filename: str) -> str:
    """`inline` or `attachment` with the name, as RFC 6266 says: a plain ASCII `filename` for
    old clients and, when the name is not plain ASCII, the exact one as RFC 5987 `filename*`."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = "".join("_" if ch in '"\\' or not ch.isprintable() else ch for ch in ascii_name)
    ascii_name = ascii_name.strip() or "file"
    header = f'{kind}; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def file_response(path: str, file: TicketFile) -> Response:
    """Images inline; anything else (text included) only as a download."""
    kind = "inline" if file.is_image else "attachment"
    return FileResponse(
        path,
        media_type=file.media_type.value,
        headers={
            **FILE_HEADERS,
            "Content-Disposition": content_disposition(kind, file.filename),
            "ETag": f'"{file.attachment.sha256}"',
        },
    )


def _back(ticket_id: int, message: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(
        f"/desk/tickets/{ticket_id}?flash={quote(message)}#{anchor}", status_code=303
    )


@router.post("/desk/tickets/{ticket_id}/files")
def upload_file(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    file: Annotated[UploadFile, File(description="a photo, a screenshot, a log or a PDF")],
    caption: Annotated[str, Form(max_length=MAX_CAPTION)] = "",
    shared: Annotated[bool, Form()] = False,
) -> Response:
    ticket = desk.get_ticket(session, ticket_id)
    added = attachments.add(
        session,
        ticket=ticket,
        stream=file.file,
        filename=file.filename or "",
        caption=caption,
        user=principal.user,
        shared=shared,
        now=now,
        root=evidence_root(settings),
        max_bytes=settings.evidence_max_bytes,
    )
    shown = "the requester sees it" if added.shared else "only IT sees it"
    return _back(ticket.id, f"Attached {added.filename}; {shown}.", "files")


@router.post("/desk/tickets/{ticket_id}/files/{file_id}/share")
def share_file(
    ticket_id: PathId,
    file_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    shared: Annotated[bool, Form()],
) -> Response:
    ticket = desk.get_ticket(session, ticket_id)
    file = attachments.set_shared(
        session, ticket=ticket, file_id=file_id, shared=shared, user=principal.user, now=now
    )
    said = "is now shown to" if shared else "is no longer shown to"
    return _back(ticket.id, f"{file.filename} {said} the requester.", "files")


@router.get("/desk/tickets/{ticket_id}/files/{file_id}")
def file_content(
    ticket_id: PathId,
    file_id: PathId,
    principal: Viewer,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """The file itself, for staff: images inline, anything else as an attachment."""
    ticket = desk.get_ticket(session, ticket_id)
    file = attachments.get_file(session, ticket=ticket, file_id=file_id, requester_view=False)
    path = attachments.checked_path(session, ticket=ticket, file=file, root=evidence_root(settings))
    return file_response(str(path), file)


@router.post("/desk/tickets/{ticket_id}/root-cause")
def set_root_cause(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    now: Now,
    root_cause: Annotated[str, Form(max_length=attachments.MAX_ROOT_CAUSE)] = "",
    shared: Annotated[bool, Form()] = False,
) -> Response:
    ticket = attachments.set_root_cause(
        session,
        ticket=desk.get_ticket(session, ticket_id),
        text=root_cause,
        shared=shared,
        user=principal.user,
        now=now,
    )
    if not ticket.root_cause:
        said = "Root cause cleared."
    elif ticket.root_cause_shared:
        said = "Root cause saved; the requester sees it."
    else:
        said = "Root cause saved; only IT sees it."
    return _back(ticket.id, said, "root-cause")
