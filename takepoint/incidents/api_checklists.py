"""Runbook checklists over the API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from takepoint.accounts.auth import Responder, Viewer
from takepoint.catalog.models import StepKind
from takepoint.incidents import checklists
from takepoint.incidents import service as incidents
from takepoint.incidents.record_models import Checklist, Confirmation, StepState
from takepoint.incidents.web_checklists import StepAt
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now

router = APIRouter(prefix="/api/v1", tags=["checklists"], dependencies=[Depends(csrf.protect)])


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    kind: StepKind
    text: str
    department_name: str
    state: StepState
    confirmation: Confirmation
    confirmed_by: str
    confirmed_at: datetime | None
    confirmation_words: str
    override_reason: str
    done_by_id: int | None
    done_at: datetime | None


class ChecklistOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    runbook_id: int | None
    runbook_version: int
    title: str
    started_by_id: int | None
    started_at: datetime
    steps: list[StepOut]


class ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runbook_id: int


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    who: str = Field(min_length=1, max_length=200, description="who in the department answered")
    said_at: AwareDatetime = Field(description="when they answered")
    words: str = Field(default="", max_length=2000, description="what they said")
    confirmed: bool = Field(description="true: go ahead; false: refused")


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


def _out(checklist: Checklist) -> ChecklistOut:
    return ChecklistOut.model_validate(checklist)


@router.get("/incidents/{incident_id}/checklists", response_model=list[ChecklistOut])
def list_checklists(incident_id: int, principal: Viewer, session: DbSession) -> list[ChecklistOut]:
    incident = incidents.get_incident(session, incident_id)
    return [_out(c) for c in checklists.list_checklists(session, incident=incident)]


@router.post("/incidents/{incident_id}/checklists", response_model=ChecklistOut, status_code=201)
def start_checklist(
    incident_id: int, body: ChecklistIn, principal: Responder, session: DbSession, now: Now
) -> ChecklistOut:
    checklist = checklists.start_checklist(
        session, incident_id=incident_id, runbook_id=body.runbook_id, user=principal.user, now=now
    )
    return _out(checklist)


@router.post(
    "/incidents/{incident_id}/checklists/{checklist_id}/steps/{number}/answers",
    response_model=StepOut,
    status_code=201,
)
def record_answer(
    at: StepAt, body: AnswerIn, principal: Responder, session: DbSession, now: Now
) -> StepOut:
    """Record the affected department's answer to a disruptive step (who, when, what)."""
    step = checklists.record_answer(
        session,
        at=at,
        user=principal.user,
        who=body.who,
        said_at=body.said_at,
        words=body.words,
        confirmed=body.confirmed,
        now=now,
    )
    return StepOut.model_validate(step)


@router.post(
    "/incidents/{incident_id}/checklists/{checklist_id}/steps/{number}/tick",
    response_model=StepOut,
)
def tick_step(at: StepAt, principal: Responder, session: DbSession, now: Now) -> StepOut:
    """Mark a step done; 409 for a disruptive step without its department's confirmation."""
    return StepOut.model_validate(checklists.tick(session, at=at, user=principal.user, now=now))


@router.post(
    "/incidents/{incident_id}/checklists/{checklist_id}/steps/{number}/override",
    response_model=StepOut,
)
def override_step(
    at: StepAt, body: OverrideIn, principal: Responder, session: DbSession, now: Now
) -> StepOut:
    """Do a disruptive step without (or against) its department's word: point person or admin."""
    step = checklists.override(session, at=at, user=principal.user, reason=body.reason, now=now)
    return StepOut.model_validate(step)
