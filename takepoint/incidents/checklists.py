"""Runbook checklists inside incidents.

An incident on a service offers that service's runbooks (and those of what it depends on) as
checklists. Starting one copies the runbook's current version, so the record shows the steps
exactly as they were followed. Every tick is a timeline entry.

A disruptive step ("reboot the app server") cannot be ticked until someone records who in the
affected department confirmed it, and when ("theatre charge nurse, 08:12: no procedure in
progress"). A refusal is recorded too. The point person or an admin may override a missing or
refused confirmation, with a reason, which is recorded as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.catalog import runbooks
from takepoint.catalog.models import Dependency, Runbook, StepKind
from takepoint.incidents.models import Incident, IncidentState
from takepoint.incidents.record_models import (
    Checklist,
    ChecklistStep,
    Confirmation,
    StepState,
)
from takepoint.incidents.service import get_incident
from takepoint.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

MAX_WHO = 200
MAX_WORDS = 2000
# A confirmation given before the incident opened belongs to some other work.
CONFIRMATION_WINDOW = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=2)


def _may_act(user: User) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot work on checklists")


def _require_open(incident: Incident) -> None:
    if incident.state is IncidentState.RESOLVED:
        raise Conflict(f"incident #{incident.id} is resolved; reopen it first", field="state")


def offered_runbooks(session: Session, *, incident: Incident) -> list[Runbook]:
    """The service's runbooks first, then those of the services it depends on directly."""
    upstream = select(Dependency.depends_on_service_id).where(
        Dependency.service_id == incident.service_id,
        Dependency.depends_on_service_id.is_not(None),
    )
    found = session.scalars(
        select(Runbook)
        .options(selectinload(Runbook.service))
        .where((Runbook.service_id == incident.service_id) | Runbook.service_id.in_(upstream))
    ).all()
    return sorted(found, key=lambda r: (r.service_id != incident.service_id, r.title.lower()))


def list_checklists(session: Session, *, incident: Incident) -> list[Checklist]:
    return list(
        session.scalars(
            select(Checklist)
            .options(selectinload(Checklist.steps), selectinload(Checklist.started_by))
            .where(Checklist.incident_id == incident.id)
            .order_by(Checklist.id)
        )
    )


def start_checklist(
    session: Session, *, incident_id: int, runbook_id: int, user: User, now: datetime
) -> Checklist:
    """Follow the runbook in this incident, as its current version stands."""
    incident = get_incident(session, incident_id)
    runbook = runbooks.get_runbook_by_id(session, runbook_id)
    _may_act(user)
    _require_open(incident)
    taken = session.scalar(
        select(Checklist.id).where(
            Checklist.incident_id == incident.id, Checklist.runbook_id == runbook.id
        )
    )
    if taken is not None:
        raise Conflict(
            f"the checklist {runbook.title!r} is already started on this incident",
            field="runbook_id",
        )
    version = runbooks.current_version(session, runbook)
    checklist = Checklist(
        incident_id=incident.id,
        runbook_id=runbook.id,
        runbook_version=version.number,
        title=version.title,
        started_by_id=user.id,
        started_at=now,
    )
    checklist.steps = [
        ChecklistStep(
            position=step.position,
            kind=step.kind,
            text=step.text,
            department_id=step.confirm_department_id,
            department_name=step.confirm_department.name if step.confirm_department else "",
        )
        for step in version.steps
    ]
    session.add(checklist)
    session.flush()
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.RUNBOOK_STEP,
        text=f"{user.display_name} started the checklist {version.title!r} "
        f"(runbook version {version.number}, {len(version.steps)} steps)",
        at=now,
        actor_id=user.id,
        data={"action": "started", "checklist_id": checklist.id, "runbook_id": runbook.id},
    )
    return checklist


@dataclass(frozen=True)
class StepRef:
    """A step as the API and the pages address it: incident, checklist, and the step's number."""

    incident_id: int
    checklist_id: int
    number: int


def _step(session: Session, at: StepRef) -> tuple[Incident, ChecklistStep]:
    incident = get_incident(session, at.incident_id)
    checklist_id, number = at.checklist_id, at.number
    step = session.scalar(
        select(ChecklistStep)
        .join(Checklist, Checklist.id == ChecklistStep.checklist_id)
        .options(selectinload(ChecklistStep.checklist))
        .where(
            Checklist.id == checklist_id,
            Checklist.incident_id == incident.id,
            ChecklistStep.position == number - 1,
        )
    )
    if step is None:
        raise NotFound(f"incident #{incident.id} has no checklist {checklist_id} step {number}")
    return incident, step


def _describe(step: ChecklistStep) -> str:
    text = step.text if len(step.text) <= 120 else step.text[:119] + "…"
    return f"step {step.number} of {step.checklist.title!r} ({text})"


def _local(moment: datetime, user: User) -> str:
    return moment.astimezone(ZoneInfo(user.time_zone)).strftime("%H:%M %Z")


def _text(value: str, field: str, limit: int, *, required: bool) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise InvalidInput(f"the {field.replace('_', ' ')} is empty", field=field)
    if len(value) > limit:
        raise InvalidInput(f"the {field.replace('_', ' ')} is over {limit} characters", field=field)
    return value


def record_answer(
    session: Session,
    *,
    at: StepRef,
    user: User,
    who: str,
    said_at: datetime,
    words: str,
    confirmed: bool,
    now: datetime,
) -> ChecklistStep:
    """Record the affected department's answer to a disruptive step: yes, or no."""
    incident, step = _step(session, at)
    _may_act(user)
    _require_open(incident)
    if step.kind is not StepKind.DISRUPTIVE:
        raise InvalidInput(
            f"step {step.number} is a {step.kind.value} step and needs no confirmation",
            field="step",
        )
    if step.state is StepState.DONE:
        raise Conflict(f"step {step.number} is already done", field="step")
    who = _text(who, "who", MAX_WHO, required=True)
    words = _text(words, "words", MAX_WORDS, required=False)
    if said_at.tzinfo is None:
        raise InvalidInput("the time needs a time zone", field="said_at")
    if said_at > now + CLOCK_SKEW:
        raise InvalidInput("the time of the answer is in the future", field="said_at")
    if said_at < incident.opened_at - CONFIRMATION_WINDOW:
        raise InvalidInput(
            "the answer is from more than a day before the incident opened", field="said_at"
        )
    step.confirmation = Confirmation.CONFIRMED if confirmed else Confirmation.REFUSED
    step.confirmed_by = who
    step.confirmed_at = said_at
    step.confirmation_words = words
    step.confirmation_recorded_by_id = user.id
    department = step.department_name or "the department"
    verb = "confirmed" if confirmed else "refused"
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.RUNBOOK_STEP,
        text=f"{department} {verb} {_describe(step)}: {who}, {_local(said_at, user)}"
        + (f": {words}" if words else "")
        + f" (recorded by {user.display_name})",
        at=now,
        actor_id=user.id,
        data={
            "action": verb,
            "checklist_id": step.checklist_id,
            "step": step.number,
            "department": step.department_name,
            "who": who,
            "said_at": said_at.isoformat(),
            "words": words,
        },
    )
    session.flush()
    return step


def tick(session: Session, *, at: StepRef, user: User, now: datetime) -> ChecklistStep:
    """Mark a step done. A disruptive step needs its department's recorded confirmation."""
    incident, step = _step(session, at)
    _may_act(user)
    _require_open(incident)
    if step.state is StepState.DONE:
        raise Conflict(f"step {step.number} is already done", field="step")
    department = step.department_name or "the affected department"
    if step.kind is StepKind.DISRUPTIVE and step.confirmation is Confirmation.REFUSED:
        raise Conflict(
            f"{department} refused step {step.number} ({step.confirmed_by}); record a new "
            "confirmation, or override with a reason",
            field="confirmation",
        )
    if step.kind is StepKind.DISRUPTIVE and step.confirmation is not Confirmation.CONFIRMED:
        raise Conflict(
            f"step {step.number} is disruptive: record who in {department} confirmed it, and "
            "when, before ticking it (or override with a reason)",
            field="confirmation",
        )
    step.state = StepState.DONE
    step.done_by_id = user.id
    step.done_at = now
    confirmed = ""
    if step.kind is StepKind.DISRUPTIVE and step.confirmed_at is not None:
        confirmed = (
            f", confirmed by {step.confirmed_by} ({department}) "
            f"at {_local(step.confirmed_at, user)}"
        )
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.RUNBOOK_STEP,
        text=f"{user.display_name} did {_describe(step)}{confirmed}",
        at=now,
        actor_id=user.id,
        data={"action": "done", "checklist_id": step.checklist_id, "step": step.number},
    )
    session.flush()
    return step


def override(
    session: Session,
    *,
    at: StepRef,
    user: User,
    reason: str,
    now: datetime,
) -> ChecklistStep:
    """Do a disruptive step without the department's confirmation: point person or admin."""
    incident, step = _step(session, at)
    _may_act(user)
    _require_open(incident)
    if incident.point_user_id != user.id and user.role is not Role.ADMIN:
        raise PermissionDenied(
            "only the point person or an admin may override a department's confirmation"
        )
    if step.kind is not StepKind.DISRUPTIVE:
        raise InvalidInput(f"step {step.number} needs no confirmation: tick it", field="step")
    if step.state is StepState.DONE:
        raise Conflict(f"step {step.number} is already done", field="step")
    reason = _text(reason, "reason", MAX_WORDS, required=True)
    department = step.department_name or "the affected department"
    had = {
        Confirmation.NONE: f"without confirmation from {department}",
        Confirmation.REFUSED: f"although {department} refused it ({step.confirmed_by})",
        Confirmation.CONFIRMED: f"with confirmation from {department}",
    }[step.confirmation]
    step.state = StepState.DONE
    step.done_by_id = user.id
    step.done_at = now
    step.override_reason = reason
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.RUNBOOK_STEP,
        text=f"{user.display_name} overrode and did {_describe(step)} {had}. Reason: {reason}",
        at=now,
        actor_id=user.id,
        data={
            "action": "overridden",
            "checklist_id": step.checklist_id,
            "step": step.number,
            "confirmation": step.confirmation.value,
            "reason": reason,
        },
    )
    session.flush()
    return step
