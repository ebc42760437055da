"""The `escalation_policies` section of configuration files.

escalation_policies:
  - name: Hospital IT
    repeat: 1
    no_progress_minutes: 30
    services: [app-server, txn-server]      # services that page through this policy
    levels:
      - delay_minutes: 5
        targets:
          - schedule: hospital-it-on-call    # the on-call person of a schedule (slug)
      - delay_minutes: 5
        targets:
          - backup_lead: true                # the incident's service's backup lead
          - user: dana@stmarys.example       # a person (email)
      - delay_minutes: 10
        targets:
          - team_lead: hospital-it           # a team's lead (slug); `true` = the service's team
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Service
from takepoint.incidents import policies
from takepoint.incidents.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    ServicePaging,
    TargetKind,
)
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.oncall.models import Schedule


class TargetItem(FileModel):
    schedule: str | None = None
    user: str | None = None
    tech_lead: bool | None = None
    backup_lead: bool | None = None
    team_lead: str | bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> TargetItem:
        given = [
            k
            for k in ("schedule", "user", "tech_lead", "backup_lead", "team_lead")
            if getattr(self, k) not in (None, False)
        ]
        if len(given) != 1:
            raise ValueError(
                "a target is exactly one of schedule, user, tech_lead, backup_lead, team_lead"
            )
        return self

    def view(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v not in (None, False)}


class LevelItem(FileModel):
    delay_minutes: int = Field(ge=0, le=1440)
    targets: list[TargetItem] = Field(min_length=1)


class PolicyItem(FileModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    repeat: int = Field(default=0, ge=0, le=10)
    no_progress_minutes: int = Field(default=30, ge=5, le=1440)
    services: list[str] = Field(default_factory=list)
    levels: list[LevelItem] = Field(min_length=1)


def _policies(session: Session) -> dict[str, EscalationPolicy]:
    rows = session.scalars(
        select(EscalationPolicy).options(
            selectinload(EscalationPolicy.levels).selectinload(EscalationLevel.targets)
        )
    )
    return {p.name: p for p in rows}


def _target_view(target: EscalationTarget) -> dict[str, Any]:
    if target.kind is TargetKind.SCHEDULE and target.schedule is not None:
        return {"schedule": target.schedule.slug}
    if target.kind is TargetKind.USER and target.user is not None:
        return {"user": target.user.email}
    if target.kind is TargetKind.TEAM_LEAD:
        return {"team_lead": target.team.slug if target.team is not None else True}
    return {target.kind.value: True}


def _policy_view(session: Session, policy: EscalationPolicy) -> dict[str, Any]:
    services = session.scalars(
        select(Service.slug)
        .join(ServicePaging, ServicePaging.service_id == Service.id)
        .where(ServicePaging.policy_id == policy.id)
        .order_by(Service.slug)
    ).all()
    view: dict[str, Any] = {"name": policy.name}
    if policy.description:
        view["description"] = policy.description
    view["repeat"] = policy.repeat
    view["no_progress_minutes"] = policy.no_progress_minutes
    view["services"] = list(services)
    view["levels"] = [
        {"delay_minutes": level.delay_minutes, "targets": [_target_view(t) for t in level.targets]}
        for level in policy.levels
    ]
    return view


def _item_view(item: PolicyItem) -> dict[str, Any]:
    view: dict[str, Any] = {"name": item.name}
    if item.description:
        view["description"] = item.description
    view["repeat"] = item.repeat
    view["no_progress_minutes"] = item.no_progress_minutes
    view["services"] = sorted(s.strip().lower() for s in item.services)
    view["levels"] = [
        {"delay_minutes": level.delay_minutes, "targets": [t.view() for t in level.targets]}
        for level in item.levels
    ]
    return view


def _spec(session: Session, target: TargetItem) -> policies.TargetSpec:
    if target.schedule:
        schedule = session.scalar(select(Schedule).where(Schedule.slug == target.schedule))
        return policies.TargetSpec(
            TargetKind.SCHEDULE, schedule_id=schedule.id if schedule else None
        )
    if target.user:
        user = session.scalar(select(User).where(User.email == target.user.strip().lower()))
        return policies.TargetSpec(TargetKind.USER, user_id=user.id if user else None)
    if target.tech_lead:
        return policies.TargetSpec(TargetKind.TECH_LEAD)
    if target.backup_lead:
        return policies.TargetSpec(TargetKind.BACKUP_LEAD)
    team = (
        session.scalar(select(Team).where(Team.slug == target.team_lead))
        if isinstance(target.team_lead, str)
        else None
    )
    return policies.TargetSpec(TargetKind.TEAM_LEAD, team_id=team.id if team else None)


class PoliciesSection(Section[PolicyItem]):
    key = "escalation_policies"
    kind = "escalation policy"
    model = PolicyItem
    description = "Who is paged, in what order, and which services page through each policy."
    identity_field = "name"

    def identity(self, item: PolicyItem) -> str:
        return item.name.strip()

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(EscalationPolicy.name)))

    def check(self, ctx: Context, entries: list[Entry[PolicyItem]]) -> None:
        def known(section: str, column: Any) -> set[str]:
            return ctx.names.get(section) or set(ctx.session.scalars(select(column)))

        schedules, users = known("schedules", Schedule.slug), known("users", User.email)
        teams, services = known("teams", Team.slug), known("services", Service.slug)
        claimed: dict[str, str] = {}
        for entry in entries:
            item = entry.item
            for i, slug in enumerate(item.services):
                slug = slug.strip().lower()
                if slug not in services:
                    ctx.report(entry, ("services", i), f"unknown service '{slug}'")
                elif slug in claimed:
                    ctx.report(
                        entry,
                        ("services", i),
                        f"service '{slug}' already pages through '{claimed[slug]}'",
                    )
                claimed.setdefault(slug, item.name)
            for li, level in enumerate(item.levels):
                for ti, target in enumerate(level.targets):
                    where = ("levels", li, "targets", ti)
                    if target.schedule and target.schedule not in schedules:
                        ctx.report(entry, where, f"unknown schedule '{target.schedule}'")
                    if target.user and target.user.strip().lower() not in users:
                        ctx.report(entry, where, f"unknown user '{target.user}'")
                    if isinstance(target.team_lead, str) and target.team_lead not in teams:
                        ctx.report(entry, where, f"unknown team '{target.team_lead}'")

    def plan(self, ctx: Context, entries: list[Entry[PolicyItem]]) -> list[Change]:
        current = _policies(ctx.session)
        changes = []
        for entry in entries:
            name = self.identity(entry.item)
            before = current.get(name)
            wanted = _item_view(entry.item)
            if before is None:
                changes.append(
                    Change(Action.CREATE, self.kind, name, (f"levels: {len(entry.item.levels)}",))
                )
                continue
            old = _policy_view(ctx.session, before)
            details = tuple(
                describe(k, old.get(k), v) for k, v in wanted.items() if old.get(k) != v
            )
            if details:
                changes.append(Change(Action.UPDATE, self.kind, name, details))
        return changes

    def write(self, ctx: Context, entries: list[Entry[PolicyItem]], changes: list[Change]) -> None:
        wanted = {c.name for c in changes}
        current = _policies(ctx.session)
        for entry in entries:
            item, name = entry.item, self.identity(entry.item)
            if name not in wanted:
                continue
            levels = [
                policies.LevelSpec(
                    level.delay_minutes, [_spec(ctx.session, t) for t in level.targets]
                )
                for level in item.levels
            ]
            policy = current.get(name)
            if policy is None:
                policy = policies.create_policy(
                    ctx.session,
                    name=name,
                    description=item.description,
                    repeat=item.repeat,
                    no_progress_minutes=item.no_progress_minutes,
                    levels=levels,
                    now=ctx.now,
                )
            else:
                policies.update_policy(
                    ctx.session,
                    policy=policy,
                    levels=levels,
                    repeat=item.repeat,
                    no_progress_minutes=item.no_progress_minutes,
                    description=item.description,
                )
            slugs = {s.strip().lower() for s in item.services}
            for stale in ctx.session.scalars(
                select(ServicePaging).where(ServicePaging.policy_id == policy.id)
            ):
                if stale.service.slug not in slugs:
                    stale.policy_id = None
            for service in ctx.session.scalars(select(Service).where(Service.slug.in_(slugs))):
                current_paging = policies.paging_for(ctx.session, service)
                if current_paging is None:
                    policies.set_service_paging(ctx.session, service=service, policy=policy)
                else:
                    current_paging.policy_id = policy.id
            ctx.session.flush()

    def delete(self, ctx: Context, names: list[str]) -> None:
        current = _policies(ctx.session)
        for name in names:
            ctx.session.delete(current[name])
        ctx.session.flush()

    def export(self, session: Session) -> list[dict[str, Any]]:
        current = _policies(session)
        return [_policy_view(session, current[name]) for name in sorted(current)]


ESCALATION_POLICIES = PoliciesSection()

__all__ = ["ESCALATION_POLICIES"]
