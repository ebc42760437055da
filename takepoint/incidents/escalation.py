"""Escalation: the policy an incident follows, frozen when it opens, and the step that pages its
next level or chases an acknowledged incident that has gone quiet.

`escalate` is the one way a step is taken. The engine (`engine/escalate.py`) claims incidents
whose step is due and calls it; triage calls it for the first step of an incident it has just
opened. The snapshot is stored as JSON on the incident (`Incident.policy_snapshot`), and rows
written by older versions, with fields missing, read with the defaults below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Service
from takepoint.incidents import paging
from takepoint.incidents.models import (
    DEFAULT_NO_PROGRESS_MINUTES,
    Incident,
    IncidentState,
    TargetKind,
)
from takepoint.oncall import service as oncall
from takepoint.oncall.models import Schedule
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

# After a nudge, how long the point person has to show progress before the next level is paged.
NUDGE_GRACE = timedelta(minutes=10)

LEAD_LABELS = {
    TargetKind.TECH_LEAD: "the service's technical lead",
    TargetKind.BACKUP_LEAD: "the service's backup lead",
    TargetKind.TEAM_LEAD: "the service team's lead",
}


@dataclass(frozen=True)
class TargetSnapshot:
    kind: TargetKind
    # How the timeline names the target ("on call for Hospital IT weekly").
    label: str
    schedule_id: int | None = None
    user_id: int | None = None
    # For TEAM_LEAD: this team's lead; when empty, the lead of the incident's service's team.
    team_id: int | None = None

    @classmethod
    def lead(cls, kind: TargetKind) -> TargetSnapshot:
        return cls(kind=kind, label=LEAD_LABELS[kind])

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "schedule_id": self.schedule_id,
            "user_id": self.user_id,
            "team_id": self.team_id,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetSnapshot:
        kind = TargetKind(data["kind"])
        return cls(
            kind=kind,
            label=str(data.get("label") or kind.value),
            schedule_id=_optional_id(data.get("schedule_id")),
            user_id=_optional_id(data.get("user_id")),
            team_id=_optional_id(data.get("team_id")),
        )


@dataclass(frozen=True)
class LevelSnapshot:
    # Minutes to wait for an acknowledgement before the next level is paged.
    delay_minutes: int
    targets: tuple[TargetSnapshot, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "delay_minutes": self.delay_minutes,
            "targets": [target.to_json() for target in self.targets],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LevelSnapshot:
        return cls(
            delay_minutes=int(data["delay_minutes"]),
            targets=tuple(TargetSnapshot.from_json(t) for t in data.get("targets", ())),
        )


@dataclass(frozen=True)
class PolicySnapshot:
    """An escalation policy as one incident follows it: later edits of the policy do not
    change an incident that is already open."""

    name: str
    levels: tuple[LevelSnapshot, ...]
    policy_id: int | None = None
    # How many more times the whole list runs after the last level (0 = once through).
    repeat: int = 0
    no_progress_minutes: int = DEFAULT_NO_PROGRESS_MINUTES

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "name": self.name,
            "repeat": self.repeat,
            "no_progress_minutes": self.no_progress_minutes,
            "levels": [level.to_json() for level in self.levels],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicySnapshot:
        return cls(
            name=str(data.get("name", "")),
            levels=tuple(LevelSnapshot.from_json(level) for level in data.get("levels", ())),
            policy_id=_optional_id(data.get("policy_id")),
            repeat=int(data.get("repeat", 0)),
            no_progress_minutes=int(data.get("no_progress_minutes", DEFAULT_NO_PROGRESS_MINUTES)),
        )


def _optional_id(value: Any) -> int | None:
    return None if value is None else int(value)


# A service without a policy pages its leads, so nothing opens without an owner.
SERVICE_LEADS = PolicySnapshot(
    name="service leads (no policy set)",
    levels=tuple(
        LevelSnapshot(delay_minutes=5, targets=(TargetSnapshot.lead(kind),))
        for kind in (TargetKind.TECH_LEAD, TargetKind.BACKUP_LEAD, TargetKind.TEAM_LEAD)
    ),
)


def resolve_target(
    session: Session, *, target: TargetSnapshot, service: Service, at: datetime
) -> User | None:
    """Who a snapshot target means right now (None: nobody, e.g. an empty schedule)."""
    if target.kind is TargetKind.SCHEDULE:
        schedule = session.get(Schedule, target.schedule_id) if target.schedule_id else None
        return oncall.who_is_on_call(session, schedule, at).user if schedule else None
    if target.kind is TargetKind.USER:
        return session.get(User, target.user_id) if target.user_id else None
    if target.kind is TargetKind.TECH_LEAD:
        return service.tech_lead
    if target.kind is TargetKind.BACKUP_LEAD:
        return service.backup_lead
    team = session.get(Team, target.team_id) if target.team_id else service.team
    return team.lead if team is not None else None


def escalate(session: Session, *, incident: Incident, now: datetime) -> None:
    """Take the incident's escalation step that is due now.

    A triggered incident pages its next level; levels where nobody can be paged are recorded
    and skipped at once, within this step. An acknowledged incident with no progress first
    reminds its point person, then pages the next level and the service team's lead.

    The caller owns the step: it claimed the incident's deadline, or it opened the incident in
    this transaction. Either way no other engine can take the same step.
    """
    policy = PolicySnapshot.from_json(incident.policy_snapshot)
    if incident.state is IncidentState.TRIGGERED:
        _page_next_level(session, incident, policy, now)
    elif incident.state is IncidentState.ACKNOWLEDGED:
        _chase_silence(session, incident, policy, now)


def _page_next_level(
    session: Session, incident: Incident, policy: PolicySnapshot, now: datetime
) -> None:
    levels = policy.levels
    for _ in range(len(levels) * (policy.repeat + 1) + 1):
        if incident.level_index >= len(levels):
            if incident.repeats_done < policy.repeat and levels:
                incident.repeats_done += 1
                incident.level_index = 0
                append(
                    session,
                    chain=incident.chain,
                    kind=EntryKind.ESCALATED,
                    text="Nobody acknowledged; starting the policy again "
                    f"(repeat {incident.repeats_done} of {policy.repeat})",
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
        incident.next_escalation_at = now + timedelta(minutes=level.delay_minutes)
        if _page_targets(session, incident, level.targets, index, now, reason=f"level {index + 1}"):
            return
    incident.next_escalation_at = None


def _page_targets(
    session: Session,
    incident: Incident,
    targets: Sequence[TargetSnapshot],
    index: int,
    now: datetime,
    *,
    reason: str,
) -> int:
    paged = 0
    seen: set[int] = set()
    if not targets:
        append(
            session,
            chain=incident.chain,
            kind=EntryKind.NOBODY_ON_CALL,
            text=f"Nobody to page at {reason}: it names nobody; moving on",
            at=now,
            data={"level": index},
        )
    for target in targets:
        user = resolve_target(session, target=target, service=incident.service, at=now)
        if user is None or not user.is_active:
            append(
                session,
                chain=incident.chain,
                kind=EntryKind.NOBODY_ON_CALL,
                text=f"Nobody to page for {target.label} at {reason}; moving on",
                at=now,
                data={"level": index, "target": target.to_json()},
            )
            continue
        if user.id in seen:
            continue
        seen.add(user.id)
        paging.page_user(
            session,
            incident=incident,
            user=user,
            reason=f"{reason}: {target.label}",
            key=f"page:{incident.id}:{incident.repeats_done}:{index}:{user.id}:{now.timestamp()}",
            now=now,
        )
        paged += 1
    return paged


def _chase_silence(
    session: Session, incident: Incident, policy: PolicySnapshot, now: datetime
) -> None:
    minutes = policy.no_progress_minutes
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
    targets: list[TargetSnapshot] = []
    if incident.level_index < len(policy.levels):
        targets.extend(policy.levels[incident.level_index].targets)
        incident.level_index += 1
    targets.append(TargetSnapshot.lead(TargetKind.TEAM_LEAD))
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.ESCALATED,
        text="Still no progress after the reminder; escalating to the next level and the team lead",
        at=now,
    )
    _page_targets(session, incident, targets, incident.level_index, now, reason="no progress")
    incident.nudge_stage += 1
    incident.next_nudge_at = now + timedelta(minutes=minutes)
