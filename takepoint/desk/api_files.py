"""A ticket's files and root cause over the API, under /api/v1.

For staff only, like the rest of the API: a requester's portal cookie is no API credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field, computed_field

from takepoint.accounts.auth import Responder, Viewer
from takepoint.desk import attachments
from takepoint.desk import service as desk
from takepoint.desk.attachments import TicketFile
from takepoint.desk.models import Ticket
from takepoint.desk.web_files import file_content
from takepoint.incidents.evidence import MAX_CAPTION, evidence_root
from takepoint.incidents.record_models import EvidenceType
from takepoint.incidents.schemas import FILE_ANSWERS, UPLOAD_ANSWERS
from takepoint.incidents.web_evidence import UPLOAD_DEPENDENCIES
from takepoint.lib.db import MAX_ID
from takepoint.lib.deps import AppSettings, DbSession, Now, PathId

# csrf.protect, after the size check that refuses an oversized upload before it is read.
router = APIRouter(prefix="/api/v1", tags=["desk"], dependencies=UPLOAD_DEPENDENCIES)


class TicketFileOut(BaseModel):
    id: int
    ticket_id: int
    message_id: int | None = Field(description="the reply or note it belongs to, if any")
    entry_seq: int = Field(description="the evidence entry in the ticket's chain")
    sha256: str
    size: int
    media_type: EvidenceType
    filename: str
    caption: str
    shared: bool = Field(description="an agent chose to show it, or it is the requester's own")
    on_note: bool = Field(description="it belongs to an internal note")
    shown_to_requester: bool = Field(
        description="what the requester sees: shared, and not on an internal note"
    )
    uploaded_by: str
    uploaded_by_user_id: int | None
    uploaded_by_requester_id: int | None
    uploaded_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return f"/api/v1/tickets/{self.ticket_id}/files/{self.id}/content"

    @classmethod
    def of(cls, file: TicketFile) -> TicketFileOut:
        row = file.attachment
        return cls(
            id=row.id,
            ticket_id=row.ticket_id,
            message_id=row.message_id,
            entry_seq=row.entry_seq,
            sha256=row.sha256,
            size=row.size,
            media_type=row.media_type,
            filename=row.filename,
            caption=row.caption,
            shared=row.shared,
            on_note=file.on_note,
            shown_to_requester=file.shown_to_requester,
            uploaded_by=file.uploaded_by,
            uploaded_by_user_id=row.uploaded_by_user_id,
            uploaded_by_requester_id=row.uploaded_by_requester_id,
            uploaded_at=row.uploaded_at,
        )


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shared: bool = Field(description="show the file to the requester, or stop showing it")


class RootCauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        max_length=attachments.MAX_ROOT_CAUSE,
        description="what really caused it, as a fact; empty clears it",
    )
    shared: bool = Field(default=False, description="show it to the requester")


class RootCauseOut(BaseModel):
    ticket_id: int
    text: str
    shared: bool

    @classmethod
    def of(cls, ticket: Ticket) -> RootCauseOut:
        return cls(ticket_id=ticket.id, text=ticket.root_cause, shared=ticket.root_cause_shared)


@router.get("/tickets/{ticket_id}/files", response_model=list[TicketFileOut])
def list_files(ticket_id: PathId, principal: Viewer, session: DbSession) -> list[TicketFileOut]:
    ticket = desk.get_ticket(session, ticket_id)
    found = attachments.for_ticket(session, ticket, requester_view=False)
    return [TicketFileOut.of(f) for f in found]


@router.post(
    "/tickets/{ticket_id}/files",
    response_model=TicketFileOut,
    status_code=201,
    responses=UPLOAD_ANSWERS,
)
def upload_file(
    ticket_id: PathId,
    principal: Responder,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    file: Annotated[UploadFile, File(description="a photo, a screenshot, a log or a PDF")],
    caption: Annotated[str, Form(max_length=MAX_CAPTION)] = "",
    shared: Annotated[bool, Form(description="show it to the requester")] = False,
    message_id: Annotated[
        int | None,
        Form(ge=1, le=MAX_ID, description="the reply or note it belongs to"),
    ] = None,
) -> TicketFileOut:
    """Attach a file. Its type is judged by content: images, PDF and plain text are accepted
    (415 otherwise); larger than TAKEPOINT_EVIDENCE_MAX_BYTES is 413; a closed ticket is 409.
    A file on a public reply is shown to the requester; one on an internal note never is."""
    ticket = desk.get_ticket(session, ticket_id)
    added = attachments.add(
        session,
        ticket=ticket,
        stream=file.file,
        filename=file.filename or "",
        caption=caption,
        user=principal.user,
        shared=shared,
        message_id=message_id,
        now=now,
        root=evidence_root(settings),
        max_bytes=settings.evidence_max_bytes,
    )
    return TicketFileOut.of(
        attachments.get_file(session, ticket=ticket, file_id=added.id, requester_view=False)
    )


@router.get("/tickets/{ticket_id}/files/{file_id}", response_model=TicketFileOut)
def read_file(
    ticket_id: PathId, file_id: PathId, principal: Viewer, session: DbSession
) -> TicketFileOut:
    ticket = desk.get_ticket(session, ticket_id)
    return TicketFileOut.of(
        attachments.get_file(session, ticket=ticket, file_id=file_id, requester_view=False)
    )


@router.post("/tickets/{ticket_id}/files/{file_id}/share", response_model=TicketFileOut)
def share_file(
    ticket_id: PathId,
    file_id: PathId,
    body: ShareIn,
    principal: Responder,
    session: DbSession,
    now: Now,
) -> TicketFileOut:
    """Show a file to the requester, or stop showing it (409 for a file on an internal note,
    and for hiding the requester's own file)."""
    ticket = desk.get_ticket(session, ticket_id)
    file = attachments.set_shared(
        session, ticket=ticket, file_id=file_id, shared=body.shared, user=principal.user, now=now
    )
    return TicketFileOut.of(file)


# The same file the ticket page links to, at the API's address.
router.add_api_route(
    "/tickets/{ticket_id}/files/{file_id}/content",
    file_content,
    methods=["GET"],
    name="ticket_file_content",
    summary="Download a ticket's file",
    responses=FILE_ANSWERS,
)


@router.get("/tickets/{ticket_id}/root-cause", response_model=RootCauseOut)
def read_root_cause(ticket_id: PathId, principal: Viewer, session: DbSession) -> RootCauseOut:
    return RootCauseOut.of(desk.get_ticket(session, ticket_id))


@router.put("/tickets/{ticket_id}/root-cause", response_model=RootCauseOut)
def set_root_cause(
    ticket_id: PathId, body: RootCauseIn, principal: Responder, session: DbSession, now: Now
) -> RootCauseOut:
    """Record what caused it and whether the requester sees it (a timeline entry)."""
    ticket = attachments.set_root_cause(
        session,
        ticket=desk.get_ticket(session, ticket_id),
        text=body.text,
        shared=body.shared,
        user=principal.user,
        now=now,
    )
    return RootCauseOut.of(ticket)
