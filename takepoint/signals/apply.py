"""The `integrations` section of configuration files (heartbeats included).

An integration is named `<service slug>/<name>`. Keys are never in a file, in either direction:
an integration created by `apply` has a key nobody has seen, so take one with
`takepoint integration rotate ID --grace-hours 0` before pointing a tool at it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import Service
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.lib.errors import InvalidInput
from takepoint.signals.heartbeats import update_heartbeat
from takepoint.signals.integrations import check_field_paths, delete_integration
from takepoint.signals.models import HeartbeatKind, Integration, IntegrationKind
from takepoint.signals.schedule import Schedule, check_schedule
from takepoint.signals.schemas import HeartbeatSettings
from takepoint.signals.service import add_integration


class HeartbeatSpec(FileModel):
    cron: str | None = Field(default=None, max_length=100)
    period_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    time_zone: str = "UTC"
    grace_minutes: int = Field(default=60, ge=0, le=43200)
    backup: bool = False
    failures: int = Field(default=1, ge=1, le=100)

    def schedule(self) -> Schedule:
        period = timedelta(hours=self.period_hours) if self.period_hours else None
        return check_schedule(
            period=None if self.cron else period,
            cron=self.cron,
            time_zone=self.time_zone,
            grace=timedelta(minutes=self.grace_minutes),
        )


class IntegrationEntry(FileModel):
    service: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    kind: IntegrationKind
    field_paths: dict[str, str] | None = None
    heartbeat: HeartbeatSpec | None = None

    @model_validator(mode="after")
    def _kind_fits(self) -> IntegrationEntry:
        if self.heartbeat is not None and self.kind is not IntegrationKind.HEARTBEAT:
            raise ValueError("only heartbeat integrations have a heartbeat schedule")
        if self.field_paths is not None and self.kind is not IntegrationKind.GENERIC:
            raise ValueError("only generic webhooks have field paths")
        return self


def _name(service_slug: str, name: str) -> str:
    return f"{service_slug.strip().lower()}/{name.strip()}"


def _heartbeat_view(integration: Integration) -> dict[str, Any]:
    heartbeat = integration.heartbeat
    if heartbeat is None:
        return {}
    view: dict[str, Any] = {"time_zone": heartbeat.time_zone}
    if heartbeat.cron:
        view["cron"] = heartbeat.cron
    else:
        view["period_hours"] = round((heartbeat.period_seconds or 0) / 3600, 4)
    view["grace_minutes"] = heartbeat.grace_seconds // 60
    view["backup"] = heartbeat.kind is HeartbeatKind.BACKUP
    view["failures"] = heartbeat.failures_before_alert
    return view


def _spec_view(spec: HeartbeatSpec) -> dict[str, Any]:
    schedule = spec.schedule()
    view: dict[str, Any] = {"time_zone": schedule.time_zone}
    if schedule.cron:
        view["cron"] = schedule.cron
    else:
        view["period_hours"] = round((schedule.period or timedelta(0)).total_seconds() / 3600, 4)
    view["grace_minutes"] = spec.grace_minutes
    view["backup"] = spec.backup
    view["failures"] = spec.failures
    return view


def _existing(session: Session) -> dict[str, Integration]:
    rows = session.scalars(
        select(Integration).options(
            selectinload(Integration.service), selectinload(Integration.heartbeat)
        )
    )
    return {_name(i.service.slug, i.name): i for i in rows}


class IntegrationsSection(Section[IntegrationEntry]):
    key = "integrations"
    kind = "integration"
    model = IntegrationEntry
    description = "Where signals come from: PagerDuty, Alertmanager, Grafana, webhooks, heartbeats."

    def identity(self, item: IntegrationEntry) -> str:
        return _name(item.service, item.name)

    def existing(self, session: Session) -> set[str]:
        return set(_existing(session))

    def check(self, ctx: Context, entries: list[Entry[IntegrationEntry]]) -> None:
        current = _existing(ctx.session)
        # Services the file itself creates count; without a services section, the database's.
        services = ctx.names.get("services")
        if services is None:
            services = set(ctx.session.scalars(select(Service.slug)))
        for entry in entries:
            item = entry.item
            if item.service.strip().lower() not in services:
                ctx.report(entry, ("service",), f"unknown service '{item.service}'")
            before = current.get(self.identity(item))
            if before is not None and before.kind is not item.kind:
                ctx.report(
                    entry,
                    ("kind",),
                    f"it is a {before.kind.value} integration; a kind cannot change "
                    "(delete it and add a new one)",
                )
            try:
                if item.heartbeat is not None:
                    item.heartbeat.schedule()
                if item.field_paths is not None:
                    check_field_paths(item.field_paths)
            except InvalidInput as exc:
                section = "heartbeat" if item.heartbeat is not None else "field_paths"
                ctx.report(entry, (section,), exc.message)

    def plan(self, ctx: Context, entries: list[Entry[IntegrationEntry]]) -> list[Change]:
        current = _existing(ctx.session)
        changes = []
        for entry in entries:
            item, name = entry.item, self.identity(entry.item)
            before = current.get(name)
            if before is None:
                changes.append(Change(Action.CREATE, self.kind, name, (f"kind: {item.kind}",)))
                continue
            details = []
            if item.field_paths is not None:
                wanted = check_field_paths(item.field_paths)
                if wanted != before.field_paths:
                    details.append(describe("field_paths", before.field_paths, wanted))
            if item.heartbeat is not None:
                old, new = _heartbeat_view(before), _spec_view(item.heartbeat)
                details += [describe(k, old.get(k), v) for k, v in new.items() if old.get(k) != v]
            if details:
                changes.append(Change(Action.UPDATE, self.kind, name, tuple(details)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[IntegrationEntry]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        current = _existing(ctx.session)
        services = {s.slug: s for s in ctx.session.scalars(select(Service))}
        for entry in entries:
            item, name = entry.item, self.identity(entry.item)
            if name not in wanted:
                continue
            spec = item.heartbeat or HeartbeatSpec(period_hours=24)
            integration = current.get(name)
            if integration is None:
                schedule = spec.schedule()
                add_integration(
                    ctx.session,
                    service=services[item.service.strip().lower()],
                    kind=item.kind,
                    now=ctx.now,
                    name=item.name,
                    field_paths=item.field_paths,
                    heartbeat=HeartbeatSettings(
                        kind=HeartbeatKind.BACKUP if spec.backup else HeartbeatKind.JOB,
                        cron=schedule.cron,
                        period_seconds=int(schedule.period.total_seconds())
                        if schedule.period
                        else None,
                        time_zone=schedule.time_zone,
                        grace_seconds=int(schedule.grace.total_seconds()),
                        failures_before_alert=spec.failures,
                    )
                    if item.kind is IntegrationKind.HEARTBEAT
                    else None,
                )
                continue
            if item.field_paths is not None:
                integration.field_paths = check_field_paths(item.field_paths)
            if item.heartbeat is not None and integration.heartbeat is not None:
                update_heartbeat(
                    ctx.session,
                    heartbeat=integration.heartbeat,
                    now=ctx.now,
                    schedule=spec.schedule(),
                    kind=HeartbeatKind.BACKUP if spec.backup else HeartbeatKind.JOB,
                    failures_before_alert=spec.failures,
                )

    def delete(self, ctx: Context, names: list[str]) -> None:
        current = _existing(ctx.session)
        for name in names:
            delete_integration(ctx.session, integration=current[name])

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        current = _existing(session)
        for name in sorted(current):
            integration = current[name]
            row: dict[str, Any] = {
                "service": integration.service.slug,
                "name": integration.name,
                "kind": integration.kind.value,
            }
            if integration.kind is IntegrationKind.GENERIC:
                row["field_paths"] = dict(integration.field_paths)
            if integration.heartbeat is not None:
                row["heartbeat"] = _heartbeat_view(integration)
            rows.append(row)
        return rows


INTEGRATIONS = IntegrationsSection()

__all__ = ["INTEGRATIONS"]
