"""Escalation policies: editing them, and freezing one into the snapshot an incident follows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Service
from takepoint.incidents.escalation import (
    LEAD_LABELS,
    SERVICE_LEADS,
    LevelSnapshot,
    PolicySnapshot,
    TargetSnapshot,
)
from takepoint.incidents.models import (
    DEFAULT_NO_PROGRESS_MINUTES,
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    ServicePaging,
    TargetKind,
)
from takepoint.lib.db import transaction_cache
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
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


class _TargetLike(Protocol):
    @property
    def kind(self) -> TargetKind: ...
    @property
    def schedule_id(self) -> int | None: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


class _LevelLike(Protocol):
    @property
    def delay_minutes(self) -> int: ...
    @property
    def targets(self) -> Sequence[_TargetLike]: ...


def level_specs(levels: Iterable[_LevelLike]) -> list[LevelSpec]:
    """Levels as the policy functions take them, from an API body or from a saved policy."""
    return [
        LevelSpec(
            delay_minutes=level.delay_minutes,
            targets=[
                TargetSpec(
                    kind=t.kind, schedule_id=t.schedule_id, user_id=t.user_id, team_id=t.team_id
                )
                for t in level.targets
            ],
        )
        for level in levels
    ]


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
    no_progress_minutes: int = DEFAULT_NO_PROGRESS_MINUTES,
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
    return LEAD_LABELS.get(target.kind, target.kind.value)


def freeze(session: Session, policy: EscalationPolicy | None) -> PolicySnapshot:
    """The policy as an incident that opens now will follow it: later edits of the policy do
    not change that incident. No policy means the service's leads (`SERVICE_LEADS`)."""
    if policy is None:
        return SERVICE_LEADS
    return PolicySnapshot(
        policy_id=policy.id,
        name=policy.name,
        repeat=policy.repeat,
        no_progress_minutes=policy.no_progress_minutes,
        levels=tuple(
            LevelSnapshot(
                delay_minutes=level.delay_minutes,
                targets=tuple(
                    TargetSnapshot(
                        kind=t.kind,
                        label=target_label(session, t),
                        schedule_id=t.schedule_id,
                        user_id=t.user_id,
                        team_id=t.team_id,
                    )
                    for t in level.targets
                ),
            )
            for level in policy.levels
        ),
    )
