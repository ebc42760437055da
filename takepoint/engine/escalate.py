"""Escalation: page each level until someone acknowledges; nudge acknowledged silence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from takepoint.engine.claims import deadlines, earliest
from takepoint.incidents import paging, policies
from takepoint.incidents.models import Incident, IncidentState
from takepoint.lib.db import rowcount
from takepoint.notify.models import Urgency
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

BATCH = 200
# After a nudge, how long the point person has to show progress before the next level is paged.
NUDGE_GRACE = timedelta(minutes=10)


def _claim(session: Session, incident_id: int, column: Any, seen: datetime | None) -> bool:
    # Conditional UPDATE: only the engine that still sees the old deadline owns this step.
    result = session.execute(
        update(Incident)
        .where(Incident.id == incident_id, column == seen)
        .values({column.key: None})
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


# Built once: this job runs at every wake-up of the paging lane, mostly to find nothing due.
_DUE = (
    select(Incident.id, Incident.next_escalation_at)
    .where(
        Incident.state == IncidentState.TRIGGERED,
        Incident.next_escalation_at <= bindparam("now"),
    )
    .order_by(Incident.next_escalation_at)
    .limit(BATCH)
)
_SILENT = (
    select(Incident.id, Incident.next_nudge_at)
    .where(
        Incident.state == IncidentState.ACKNOWLEDGED,
        Incident.urgency == Urgency.HIGH,
        Incident.next_nudge_at <= bindparam("now"),
    )
    .order_by(Incident.next_nudge_at)
    .limit(BATCH)
)


def run_once(session: Session, now: datetime) -> int:
    done = 0
    due = session.execute(_DUE, {"now": now}).all()
    for incident_id, seen in due:
        if _claim(session, incident_id, Incident.next_escalation_at, seen):
            incident = session.get_one(Incident, incident_id, populate_existing=True)
            escalate(session, incident, now)
            done += 1
    silent = session.execute(_SILENT, {"now": now}).all()
    for incident_id, seen in silent:
        if _claim(session, incident_id, Incident.next_nudge_at, seen):
            incident = session.get_one(Incident, incident_id, populate_existing=True)
            _no_progress(session, incident, now)
            done += 1
    return done


def _levels(incident: Incident) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = incident.policy_snapshot.get("levels", [])
    return levels


def escalate(session: Session, incident: Incident, now: datetime) -> None:
    """Page the incident's next level. Levels where nobody can be paged are recorded and
    skipped at once, within this step.

    The caller owns the step: it claimed it, or it opened the incident in this transaction.
    """
    levels = _levels(incident)
    repeat = int(incident.policy_snapshot.get("repeat", 0))
    for _ in range(len(levels) * (repeat + 1) + 1):
        if incident.level_index >= len(levels):
            if incident.repeats_done < repeat and levels:
                incident.repeats_done += 1
                incident.level_index = 0
                append(
                    session,
                    chain=incident.chain,
                    kind=EntryKind.ESCALATED,
                    text="Nobody acknowledged; starting the policy again "
                    f"(repeat {incident.repeats_done} of {repeat})",
                    at=now,
                )
            else:
                incident.next_escalation_at = None
                append(
                    session,
                    chain=incident.chain,
                    kind=EntryKind.ESCALATED,
                    text="Every level was paged and nobody acknowledged; "
                    "the incident stays open and unowned",
                    at=now,
                )
                return
        index = incident.level_index
        level = levels[index]
        incident.level_index += 1
        # Set before paging, so the incident's row is written once with the page; a level
        # where nobody could be paged is overwritten by the next one.
        incident.next_escalation_at = now + timedelta(minutes=int(level["delay_minutes"]))
        if _page_level(session, incident, level, index, now, reason=f"level {index + 1}"):
            return
    incident.next_escalation_at = None


def _page_level(
    session: Session,
    incident: Incident,
    level: dict[str, Any],
    index: int,
    now: datetime,
    *,
    reason: str,
) -> int:
    paged = 0
    seen: set[int] = set()
    for target in level["targets"]:
        user = policies.resolve_target(session, target=target, service=incident.service, at=now)
        label = target.get("label", target["kind"])
        if user is None or not user.is_active:
            append(
                session,
                chain=incident.chain,
                kind=EntryKind.NOBODY_ON_CALL,
                text=f"Nobody to page for {label} at {reason}; moving on",
                at=now,
                data={"level": index, "target": target},
            )
            continue
        if user.id in seen:
            continue
        seen.add(user.id)
        paging.page_user(
            session,
            incident=incident,
            user=user,
            reason=f"{reason}: {label}",
            key=f"page:{incident.id}:{incident.repeats_done}:{index}:{user.id}:{now.timestamp()}",
            now=now,
        )
        paged += 1
    return paged


def _no_progress(session: Session, incident: Incident, now: datetime) -> None:
    minutes = int(incident.policy_snapshot.get("no_progress_minutes", 30))
    point = incident.point_user
    if incident.nudge_stage == 0 and point is not None:
        append(
            session,
            chain=incident.chain,
            kind=EntryKind.NUDGE,
            text=f"No update for {minutes} minutes; reminded {point.display_name}",
            at=now,
            data={"user_id": point.id},
        )
        paging.page_user(
            session,
            incident=incident,
            user=point,
            reason=f"no update for {minutes} minutes: add a note, hand off, or resolve",
            key=f"nudge:{incident.id}:{now.timestamp()}",
            now=now,
        )
        incident.nudge_stage = 1
        incident.next_nudge_at = now + NUDGE_GRACE
        return
    levels = _levels(incident)
    targets: list[dict[str, Any]] = []
    if incident.level_index < len(levels):
        targets.extend(levels[incident.level_index]["targets"])
        incident.level_index += 1
    targets.append({"kind": "team_lead", "label": "the service team's lead"})
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.ESCALATED,
        text="Still no progress after the reminder; escalating to the next level and the team lead",
        at=now,
    )
    _page_level(
        session, incident, {"targets": targets}, incident.level_index, now, reason="no progress"
    )
    incident.nudge_stage += 1
    incident.next_nudge_at = now + timedelta(minutes=minutes)


def next_due(session: Session) -> datetime | None:
    """The earliest escalation or nudge deadline, so the engine wakes exactly then."""
    return earliest(session, _NEXT_DEADLINES)


_NEXT_DEADLINES = deadlines(
    select(func.min(Incident.next_escalation_at)).where(Incident.state == IncidentState.TRIGGERED),
    select(func.min(Incident.next_nudge_at)).where(
        Incident.state == IncidentState.ACKNOWLEDGED, Incident.urgency == Urgency.HIGH
    ),
)
