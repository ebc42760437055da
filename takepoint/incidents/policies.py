"""Escalation policies: editing them, and the snapshot an incident follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Service
from takepoint.incidents.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    ServicePaging,
    TargetKind,
)
from takepoint.lib.db import transaction_cache
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.oncall import service as oncall
from takepoint.oncall.models import Schedule


@dataclass(frozen=True)
class TargetSpec:
    kind: TargetKind
    schedule_id: int | None = None
    user_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class LevelSpec:
    delay_minutes: int
    targets: list[TargetSpec]


def _check_target(session: Session, target: TargetSpec, where: str) -> EscalationTarget:
    if target.kind is TargetKind.SCHEDULE and (
        target.schedule_id is None or session.get(Schedule, target.schedule_id) is None
    ):
        raise InvalidInput(f"{where}: a schedule target needs an existing schedule", field=where)
    if target.kind is TargetKind.USER and (
        target.user_id is None or session.get(User, target.user_id) is None
    ):
        raise InvalidInput(f"{where}: a user target needs an existing user", field=where)
    if target.team_id is not None and session.get(Team, target.team_id) is None:
        raise InvalidInput(f"{where}: no team with id {target.team_id}", field=where)
    return EscalationTarget(
        kind=target.kind,
        schedule_id=target.schedule_id if target.kind is TargetKind.SCHEDULE else None,
        user_id=target.user_id if target.kind is TargetKind.USER else None,
        team_id=target.team_id if target.kind is TargetKind.TEAM_LEAD else None,
    )


def _levels(session: Session, levels: list[LevelSpec]) -> list[EscalationLevel]:
    if not levels:
        raise InvalidInput("a policy needs at least one level", field="levels")
    built = []
    for index, level in enumerate(levels):
        where = f"levels.{index}"
        if not 0 <= level.delay_minutes <= 24 * 60:
            raise InvalidInput(
                f"{where}.delay_minutes must be 0 to 1440", field=f"{where}.delay_minutes"
            )
        if not level.targets:
            raise InvalidInput(
                f"{where}: a level needs at least one target", field=f"{where}.targets"
            )
        built.append(
            EscalationLevel(
                position=index,
                delay_minutes=level.delay_minutes,
                targets=[
                    _check_target(session, t, f"{where}.targets.{i}")
                    for i, t in enumerate(level.targets)
                ],
            )
        )
    return built


def create_policy(
    session: Session,
    *,
    name: str,
    levels: list[LevelSpec],
    now: datetime,
    repeat: int = 0,
    no_progress_minutes: int = 30,
    description: str = "",
) -> EscalationPolicy:
    if not name.strip():
        raise InvalidInput("the policy needs a name", field="name")
    if session.scalar(select(EscalationPolicy.id).where(EscalationPolicy.name == name.strip())):
        raise Conflict(f"a policy named {name.strip()!r} already exists", field="name")
    _check_numbers(repeat, no_progress_minutes)
    policy = EscalationPolicy(
        name=name.strip(),
        description=description,
        repeat=repeat,
        no_progress_minutes=no_progress_minutes,
        created_at=now,
        levels=_levels(session, levels),
    )
    session.add(policy)
    session.flush()
    return policy


def _check_numbers(repeat: int, no_progress_minutes: int) -> None:
    if not 0 <= repeat <= 10:
        raise InvalidInput("repeat must be 0 to 10", field="repeat")
    if not 5 <= no_progress_minutes <= 24 * 60:
        raise InvalidInput("no_progress_minutes must be 5 to 1440", field="no_progress_minutes")


def update_policy(
    session: Session,
    *,
    policy: EscalationPolicy,
    levels: list[LevelSpec] | None = None,
    repeat: int | None = None,
    no_progress_minutes: int | None = None,
    description: str | None = None,
) -> EscalationPolicy:
    """Change a policy. Open incidents keep following the snapshot they started with."""
    _check_numbers(
        policy.repeat if repeat is None else repeat,
        policy.no_progress_minutes if no_progress_minutes is None else no_progress_minutes,
    )
    if levels is not None:
        new_levels = _levels(session, levels)
        policy.levels.clear()
        session.flush()
        policy.levels.extend(new_levels)
    if repeat is not None:
        policy.repeat = repeat
    if no_progress_minutes is not None:
        policy.no_progress_minutes = no_progress_minutes
    if description is not None:
        policy.description = description
    session.flush()
    return policy


def get_policy(session: Session, policy_id: int) -> EscalationPolicy:
    policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise NotFound(f"no escalation policy with id {policy_id}")
    return policy


def list_policies(session: Session) -> list[EscalationPolicy]:
    return list(
        session.scalars(
            select(EscalationPolicy)
            .options(selectinload(EscalationPolicy.levels).selectinload(EscalationLevel.targets))
            .order_by(EscalationPolicy.name)
        )
    )


def paging_for(session: Session, service: Service) -> ServicePaging | None:
    # Remembered for the transaction: the session's identity map keeps a row it found, but not
    # that a service has none (the default policy), which triage asks for every new incident.
    known = transaction_cache(session, "service_paging")
    if service.id not in known:
        known[service.id] = session.get(ServicePaging, service.id)
    paging: ServicePaging | None = known[service.id]
    return paging


def set_service_paging(
    session: Session, *, service: Service, policy: EscalationPolicy | None, **options: Any
) -> ServicePaging:
    paging = paging_for(session, service) or ServicePaging(service_id=service.id)
    paging.policy_id = policy.id if policy else None
    for name, value in options.items():
        if not hasattr(ServicePaging, name):
            raise InvalidInput(f"unknown paging option {name!r}", field=name)
        setattr(paging, name, value)
    session.add(paging)
    session.flush()
    transaction_cache(session, "service_paging")[service.id] = paging
    return paging


def target_label(session: Session, target: EscalationTarget) -> str:
    if target.kind is TargetKind.SCHEDULE and target.schedule is not None:
        return f"on call for {target.schedule.name}"
    if target.kind is TargetKind.USER and target.user is not None:
        return target.user.display_name
    if target.kind is TargetKind.TEAM_LEAD and target.team is not None:
        return f"lead of {target.team.name}"
    return {
        TargetKind.TECH_LEAD: "the service's technical lead",
        TargetKind.BACKUP_LEAD: "the service's backup lead",
        TargetKind.TEAM_LEAD: "the service team's lead",
    }.get(target.kind, target.kind.value)


def snapshot(session: Session, policy: EscalationPolicy | None) -> dict[str, Any]:
    """The policy frozen as plain data, stored on the incident when it opens."""
    if policy is None:
        # No policy: page the service's leads, so nothing opens without an owner.
        return {
            "policy_id": None,
            "name": "service leads (no policy set)",
            "repeat": 0,
            "no_progress_minutes": 30,
            "levels": [
                {
                    "delay_minutes": 5,
                    "targets": [{"kind": "tech_lead", "label": "the service's technical lead"}],
                },
                {
                    "delay_minutes": 5,
                    "targets": [{"kind": "backup_lead", "label": "the service's backup lead"}],
                },
                {
                    "delay_minutes": 5,
                    "targets": [{"kind": "team_lead", "label": "the service team's lead"}],
                },
            ],
        }
    return {
        "policy_id": policy.id,
        "name": policy.name,
        "repeat": policy.repeat,
        "no_progress_minutes": policy.no_progress_minutes,
        "levels": [
            {
                "delay_minutes": level.delay_minutes,
                "targets": [
                    {
                        "kind": t.kind.value,
                        "schedule_id": t.schedule_id,
                        "user_id": t.user_id,
                        "team_id": t.team_id,
                        "label": target_label(session, t),
                    }
                    for t in level.targets
                ],
            }
            for level in policy.levels
        ],
    }


def resolve_target(
    session: Session, *, target: dict[str, Any], service: Service, at: datetime
) -> User | None:
    """Who a snapshot target means right now (None: nobody, e.g. an empty schedule)."""
    kind = TargetKind(target["kind"])
    if kind is TargetKind.SCHEDULE:
        schedule = session.get(Schedule, target.get("schedule_id"))
        return oncall.who_is_on_call(session, schedule, at).user if schedule else None
    if kind is TargetKind.USER:
        return session.get(User, target.get("user_id"))
    if kind is TargetKind.TECH_LEAD:
        return service.tech_lead
    if kind is TargetKind.BACKUP_LEAD:
        return service.backup_lead
    team = session.get(Team, target["team_id"]) if target.get("team_id") else service.team
    return team.lead if team is not None else None
