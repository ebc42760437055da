"""Runbooks: versioned Markdown with ordered steps, some of which need a department's word.

Every edit writes a new version (who, when, what) and never changes an old one, so an incident
can always show the runbook exactly as it was when someone followed it. Editing a runbook counts
as reviewing it: the person who changed it has just read it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.catalog.models import (
    Department,
    Runbook,
    RunbookStep,
    RunbookVersion,
    Service,
    StepKind,
)
from takepoint.catalog.service import RESERVED_SLUGS, check_slug
from takepoint.lib.errors import Conflict, InvalidInput, NotFound

REVIEW_EVERY = timedelta(days=180)
MAX_BODY = 100_000
MAX_STEP = 2_000


@dataclass(frozen=True)
class StepInput:
    kind: StepKind
    text: str
    confirm_department: Department | None = None


@dataclass(frozen=True)
class Content:
    """What a version holds, in a form that compares equal when nothing changed."""

    title: str
    body: str
    steps: tuple[tuple[StepKind, str, int | None], ...]


def is_stale(runbook: Runbook, now: datetime) -> bool:
    return now - runbook.last_reviewed_at > REVIEW_EVERY


def _slug_from(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    if not slug[:1].isalpha() or slug in RESERVED_SLUGS:
        slug = f"runbook-{slug}".rstrip("-")
    return slug


def _check_content(title: str, body: str, steps: Sequence[StepInput]) -> Content:
    title = title.strip()
    if not title:
        raise InvalidInput("the runbook title is empty", field="title")
    if len(title) > 200:
        raise InvalidInput("the runbook title is over 200 characters", field="title")
    body = body.strip()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the runbook is over {MAX_BODY} characters", field="body")
    checked: list[tuple[StepKind, str, int | None]] = []
    for number, step in enumerate(steps, start=1):
        text = step.text.strip()
        where = f"steps.{number}"
        if not text:
            raise InvalidInput(f"step {number} has no text", field=f"{where}.text")
        if len(text) > MAX_STEP:
            raise InvalidInput(f"step {number} is over {MAX_STEP} characters", field=where)
        if step.kind is StepKind.DISRUPTIVE and step.confirm_department is None:
            raise InvalidInput(
                f"step {number} is disruptive: name the department whose confirmation it needs",
                field=f"{where}.confirm_with",
            )
        if step.kind is not StepKind.DISRUPTIVE and step.confirm_department is not None:
            raise InvalidInput(
                f"step {number} is a {step.kind.value} step; only disruptive steps need a "
                "department's confirmation",
                field=f"{where}.confirm_with",
            )
        dept_id = step.confirm_department.id if step.confirm_department is not None else None
        checked.append((step.kind, text, dept_id))
    return Content(title=title, body=body, steps=tuple(checked))


def content_of(version: RunbookVersion) -> Content:
    return Content(
        title=version.title,
        body=version.body,
        steps=tuple((s.kind, s.text, s.confirm_department_id) for s in version.steps),
    )


def _new_version(
    session: Session,
    runbook: Runbook,
    number: int,
    content: Content,
    steps: Sequence[StepInput],
    author: User | None,
    summary: str,
    now: datetime,
) -> RunbookVersion:
    version = RunbookVersion(
        runbook=runbook,
        number=number,
        title=content.title,
        body=content.body,
        author=author,
        summary=summary.strip()[:300],
        created_at=now,
    )
    version.steps = [
        RunbookStep(
            position=i,
            kind=kind,
            text=text,
            confirm_department=steps[i].confirm_department,
        )
        for i, (kind, text, _) in enumerate(content.steps)
    ]
    # Added explicitly: a backref alone does not put a new object in the session.
    session.add(version)
    return version


def create_runbook(
    session: Session,
    *,
    service: Service,
    title: str,
    body: str,
    steps: Sequence[StepInput],
    author: User | None,
    now: datetime,
    slug: str | None = None,
    reviewed_at: datetime | None = None,
    summary: str = "first version",
) -> Runbook:
    content = _check_content(title, body, steps)
    slug = check_slug(slug) if slug else _slug_from(content.title)
    taken = session.scalar(
        select(Runbook.id).where(Runbook.service_id == service.id, Runbook.slug == slug)
    )
    if taken is not None:
        raise Conflict(f"{service.slug} already has a runbook {slug!r}", field="slug")
    runbook = Runbook(
        service=service,
        slug=slug,
        title=content.title,
        current_version=1,
        last_reviewed_at=reviewed_at or now,
        last_reviewed_by=author,
        created_at=now,
    )
    session.add(runbook)
    _new_version(session, runbook, 1, content, steps, author, summary, now)
    session.flush()
    return runbook


def edit_runbook(
    session: Session,
    *,
    runbook: Runbook,
    title: str,
    body: str,
    steps: Sequence[StepInput],
    author: User | None,
    now: datetime,
    summary: str = "",
    reviewed_at: datetime | None = None,
) -> RunbookVersion | None:
    """Write a new version when the content changed; returns None when it did not."""
    content = _check_content(title, body, steps)
    if content == content_of(current_version(session, runbook)):
        return None
    number = runbook.current_version + 1
    version = _new_version(session, runbook, number, content, steps, author, summary, now)
    runbook.current_version = number
    runbook.title = content.title
    runbook.last_reviewed_at = reviewed_at or now
    runbook.last_reviewed_by = author
    session.flush()
    return version


def mark_reviewed(session: Session, *, runbook: Runbook, user: User, now: datetime) -> None:
    """Someone read the runbook and it is still right: the staleness clock starts again."""
    runbook.last_reviewed_at = now
    runbook.last_reviewed_by = user
    session.flush()


def delete_runbook(session: Session, *, runbook: Runbook) -> None:
    session.delete(runbook)
    session.flush()


def get_runbook(session: Session, *, service: Service, slug: str) -> Runbook:
    runbook = session.scalar(
        select(Runbook)
        .options(selectinload(Runbook.last_reviewed_by), selectinload(Runbook.service))
        .where(Runbook.service_id == service.id, Runbook.slug == slug)
    )
    if runbook is None:
        raise NotFound(f"{service.slug} has no runbook {slug!r}", field="runbook")
    return runbook


def get_runbook_by_id(session: Session, runbook_id: int) -> Runbook:
    runbook = session.scalar(
        select(Runbook)
        .options(selectinload(Runbook.last_reviewed_by), selectinload(Runbook.service))
        .where(Runbook.id == runbook_id)
    )
    if runbook is None:
        raise NotFound(f"no runbook with id {runbook_id}", field="runbook")
    return runbook


def _version_query(runbook: Runbook) -> Select[RunbookVersion]:
    return (
        select(RunbookVersion)
        .options(
            selectinload(RunbookVersion.author),
            selectinload(RunbookVersion.steps).selectinload(RunbookStep.confirm_department),
        )
        .where(RunbookVersion.runbook_id == runbook.id)
    )


def current_version(session: Session, runbook: Runbook) -> RunbookVersion:
    return get_version(session, runbook, runbook.current_version)


def get_version(session: Session, runbook: Runbook, number: int) -> RunbookVersion:
    version = session.scalar(_version_query(runbook).where(RunbookVersion.number == number))
    if version is None:
        raise NotFound(f"runbook {runbook.slug} has no version {number}", field="version")
    return version


def list_versions(session: Session, runbook: Runbook) -> list[RunbookVersion]:
    return list(
        session.scalars(
            select(RunbookVersion)
            .options(selectinload(RunbookVersion.author))
            .where(RunbookVersion.runbook_id == runbook.id)
            .order_by(RunbookVersion.number.desc())
        )
    )
