"""The runbook API: responders write and review runbooks; every edit is a new version."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.catalog import runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Runbook
from takepoint.catalog.schemas import (
    RunbookBrief,
    RunbookCreate,
    RunbookIn,
    RunbookOut,
    ServiceRef,
    StepIn,
    UserRef,
    VersionBrief,
    VersionOut,
)
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now, PathKey

router = APIRouter(prefix="/api/v1", tags=["runbooks"], dependencies=[Depends(csrf.protect)])


def _steps(session: Session, steps: list[StepIn]) -> list[runbooks.StepInput]:
    return [
        runbooks.StepInput(
            kind=step.kind,
            text=step.text,
            confirm_department=catalog.get_department(session, step.confirm_department_id)
            if step.confirm_department_id is not None
            else None,
        )
        for step in steps
    ]


def _out(session: Session, runbook: Runbook, now: datetime) -> RunbookOut:
    reviewer = runbook.last_reviewed_by
    return RunbookOut(
        id=runbook.id,
        service=ServiceRef.model_validate(runbook.service),
        slug=runbook.slug,
        current_version=runbook.current_version,
        last_reviewed_at=runbook.last_reviewed_at,
        last_reviewed_by=UserRef.model_validate(reviewer) if reviewer is not None else None,
        stale=runbooks.is_stale(runbook, now),
        current=VersionOut.model_validate(runbooks.current_version(session, runbook)),
    )


@router.get("/services/{service}/runbooks", response_model=list[RunbookBrief])
def list_runbooks(
    service: PathKey, principal: Viewer, session: DbSession, now: Now
) -> list[RunbookBrief]:
    found = catalog.get_service(session, service)
    return [
        RunbookBrief(
            id=r.id,
            slug=r.slug,
            title=r.title,
            current_version=r.current_version,
            last_reviewed_at=r.last_reviewed_at,
            stale=runbooks.is_stale(r, now),
        )
        for r in found.runbooks
    ]


@router.post("/services/{service}/runbooks", response_model=RunbookOut, status_code=201)
def create_runbook(
    service: PathKey, body: RunbookCreate, principal: Responder, session: DbSession, now: Now
) -> RunbookOut:
    runbook = runbooks.create_runbook(
        session,
        service=catalog.get_service(session, service),
        slug=body.slug,
        title=body.title,
        body=body.body,
        steps=_steps(session, body.steps),
        author=principal.user,
        summary=body.summary or "first version",
        now=now,
    )
    return _out(session, runbook, now)


@router.get("/runbooks/{runbook_id}", response_model=RunbookOut)
def read_runbook(runbook_id: int, principal: Viewer, session: DbSession, now: Now) -> RunbookOut:
    return _out(session, runbooks.get_runbook_by_id(session, runbook_id), now)


@router.put("/runbooks/{runbook_id}", response_model=RunbookOut)
def edit_runbook(
    runbook_id: int, body: RunbookIn, principal: Responder, session: DbSession, now: Now
) -> RunbookOut:
    """Write a new version; the old ones stay readable. Unchanged content writes nothing."""
    runbook = runbooks.get_runbook_by_id(session, runbook_id)
    runbooks.edit_runbook(
        session,
        runbook=runbook,
        title=body.title,
        body=body.body,
        steps=_steps(session, body.steps),
        author=principal.user,
        summary=body.summary,
        now=now,
    )
    return _out(session, runbook, now)


@router.post("/runbooks/{runbook_id}/review", response_model=RunbookOut)
def review_runbook(
    runbook_id: int, principal: Responder, session: DbSession, now: Now
) -> RunbookOut:
    """Record that the runbook was read and is still right."""
    runbook = runbooks.get_runbook_by_id(session, runbook_id)
    runbooks.mark_reviewed(session, runbook=runbook, user=principal.user, now=now)
    return _out(session, runbook, now)


@router.delete("/runbooks/{runbook_id}", status_code=204)
def delete_runbook(runbook_id: int, principal: Admin, session: DbSession) -> Response:
    """Deletes the runbook and its history, so only admins may."""
    runbooks.delete_runbook(session, runbook=runbooks.get_runbook_by_id(session, runbook_id))
    return Response(status_code=204)


@router.get("/runbooks/{runbook_id}/versions", response_model=list[VersionBrief])
def list_versions(runbook_id: int, principal: Viewer, session: DbSession) -> list[VersionBrief]:
    runbook = runbooks.get_runbook_by_id(session, runbook_id)
    return [VersionBrief.model_validate(v) for v in runbooks.list_versions(session, runbook)]


@router.get("/runbooks/{runbook_id}/versions/{number}", response_model=VersionOut)
def read_version(runbook_id: int, number: int, principal: Viewer, session: DbSession) -> VersionOut:
    runbook = runbooks.get_runbook_by_id(session, runbook_id)
    return VersionOut.model_validate(runbooks.get_version(session, runbook, number))
