"""Evidence over the API: list, upload (multipart), describe and download."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, computed_field

from takepoint.accounts.auth import Responder, Viewer
from takepoint.incidents import evidence as evidence_files
from takepoint.incidents import service as incidents
from takepoint.incidents.record_models import Evidence, EvidenceType
from takepoint.incidents.schemas import FILE_ANSWERS, UPLOAD_ANSWERS
from takepoint.incidents.web_evidence import UPLOAD_DEPENDENCIES, evidence_file
from takepoint.lib.deps import AppSettings, DbSession, Now

router = APIRouter(prefix="/api/v1", tags=["evidence"], dependencies=UPLOAD_DEPENDENCIES)


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    note_seq: int | None
    entry_seq: int
    sha256: str
    size: int
    media_type: EvidenceType
    filename: str
    caption: str
    uploaded_by_id: int | None
    uploaded_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return f"/api/v1/incidents/{self.incident_id}/evidence/{self.id}/content"

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceOut:
        return cls.model_validate(evidence)


@router.get("/incidents/{incident_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(incident_id: int, principal: Viewer, session: DbSession) -> list[EvidenceOut]:
    incident = incidents.get_incident(session, incident_id)
    return [EvidenceOut.of(e) for e in evidence_files.list_evidence(session, incident=incident)]


@router.post(
    "/incidents/{incident_id}/evidence",
    response_model=EvidenceOut,
    status_code=201,
    responses=UPLOAD_ANSWERS,
)
def upload_evidence(
    incident_id: int,
    principal: Responder,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    file: Annotated[UploadFile, File(description="the photo, screenshot, log or PDF")],
    caption: Annotated[str, Form(max_length=2000)] = "",
    note_seq: Annotated[int | None, Form(description="the note's seq in the timeline")] = None,
) -> EvidenceOut:
    """Attach a file. Its type is judged by content: images, PDF and plain text are accepted
    (415 otherwise); larger than TAKEPOINT_EVIDENCE_MAX_BYTES is 413."""
    evidence = evidence_files.attach_evidence(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        upload=file.file,
        filename=file.filename or "",
        caption=caption,
        note_seq=note_seq,
        root=evidence_files.evidence_root(settings),
        max_bytes=settings.evidence_max_bytes,
        now=now,
    )
    return EvidenceOut.of(evidence)


@router.get("/incidents/{incident_id}/evidence/{evidence_id}", response_model=EvidenceOut)
def read_evidence(
    incident_id: int, evidence_id: int, principal: Viewer, session: DbSession
) -> EvidenceOut:
    incident = incidents.get_incident(session, incident_id)
    return EvidenceOut.of(
        evidence_files.get_evidence(session, incident=incident, evidence_id=evidence_id)
    )


# The same file the evidence page links to, at the API's address.
router.add_api_route(
    "/incidents/{incident_id}/evidence/{evidence_id}/content",
    evidence_file,
    methods=["GET"],
    name="evidence_content",
    responses=FILE_ANSWERS,
)
