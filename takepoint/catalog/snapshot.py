"""One normalised view of a service, shared by the plan's diff and by export.

Both sides of a comparison are built here, from the database (`db_view`) and from a file entry
(`file_view`), with the same keys, order and defaults. That is what makes an exported file apply
with no changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog import service as catalog
from takepoint.catalog.models import Runbook, RunbookStep, RunbookVersion, Service
from takepoint.catalog.spec import RunbookEntry, ServiceEntry
from takepoint.lib.apply import Context


def compact(row: dict[str, Any]) -> dict[str, Any]:
    """An exported list item without the fields that hold their default (empty) value."""
    return {k: v for k, v in row.items() if v not in ("", None, [])}


LIST_FIELDS = ("departments", "hosts", "data", "links", "depends_on")
SCALAR_FIELDS = (
    "name",
    "description",
    "tier",
    "team",
    "tech_lead",
    "backup_lead",
    "stores_data",
)


def utc_date(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def dependency_key(row: dict[str, str]) -> tuple[str, str]:
    return ("service", row["service"]) if "service" in row else ("host", row["host"])


@dataclass
class Loaded:
    services: dict[str, Service]
    current: dict[int, RunbookVersion]  # runbook id -> its current version


def load(session: Session) -> Loaded:
    services = {s.slug: s for s in session.scalars(catalog.service_query())}
    versions = session.scalars(
        select(RunbookVersion)
        .join(
            Runbook,
            and_(
                Runbook.id == RunbookVersion.runbook_id,
                Runbook.current_version == RunbookVersion.number,
            ),
        )
        .options(selectinload(RunbookVersion.steps).selectinload(RunbookStep.confirm_department))
    )
    return Loaded(services=services, current={v.runbook_id: v for v in versions})


def cached(ctx: Context) -> Loaded:
    loaded = ctx.cache.get("catalog")
    if not isinstance(loaded, Loaded):
        loaded = ctx.cache["catalog"] = load(ctx.session)
    return loaded


def steps_view(version: RunbookVersion) -> list[dict[str, Any]]:
    return [
        {
            "kind": s.kind.value,
            "text": s.text,
            "confirm_with": s.confirm_department.slug if s.confirm_department else None,
        }
        for s in version.steps
    ]


def runbook_view(runbook: Runbook, version: RunbookVersion) -> dict[str, Any]:
    return {
        "slug": runbook.slug,
        "title": version.title,
        "body": version.body,
        "steps": steps_view(version),
        "last_reviewed": utc_date(runbook.last_reviewed_at),
    }


def db_view(service: Service, current: dict[int, RunbookVersion]) -> dict[str, Any]:
    depends_on = []
    for dep in service.dependencies:
        if dep.depends_on_service is not None:
            depends_on.append({"service": dep.depends_on_service.slug, "note": dep.note})
        elif dep.depends_on_host is not None:
            depends_on.append({"host": dep.depends_on_host.hostname, "note": dep.note})
    return {
        "slug": service.slug,
        "name": service.name,
        "description": service.description,
        "tier": service.tier,
        "team": service.team.slug if service.team else None,
        "tech_lead": service.tech_lead.email if service.tech_lead else None,
        "backup_lead": service.backup_lead.email if service.backup_lead else None,
        "stores_data": service.stores_data,
        "departments": sorted(d.slug for d in service.departments),
        "hosts": sorted(
            ({"hostname": h.hostname, "role": h.role, "notes": h.notes} for h in service.hosts),
            key=lambda h: h["hostname"],
        ),
        "data": [{"store": d.store, "location": d.location} for d in service.data_locations],
        "links": [{"title": link.title, "url": link.url} for link in service.links],
        "depends_on": sorted(depends_on, key=dependency_key),
        "runbooks": sorted(
            (runbook_view(r, current[r.id]) for r in service.runbooks if r.id in current),
            key=lambda r: r["slug"],
        ),
    }


def file_runbook_view(item: RunbookEntry) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "title": item.title,
        "body": item.body,
        "steps": [
            {"kind": s.kind.value, "text": s.text, "confirm_with": s.confirm_with}
            for s in item.steps
        ],
        "last_reviewed": item.last_reviewed,
    }


def file_view(item: ServiceEntry) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "name": item.name,
        "description": item.description,
        "tier": item.tier,
        "team": item.team,
        "tech_lead": item.tech_lead,
        "backup_lead": item.backup_lead,
        "stores_data": item.stores_data,
        "departments": sorted(set(item.departments)),
        "hosts": sorted((h.model_dump() for h in item.hosts), key=lambda h: h["hostname"]),
        "data": [d.model_dump() for d in item.data],
        "links": [link.model_dump() for link in item.links],
        "depends_on": sorted(
            ({d.target[0]: d.target[1], "note": d.note} for d in item.depends_on),
            key=dependency_key,
        ),
        "runbooks": sorted((file_runbook_view(r) for r in item.runbooks), key=lambda r: r["slug"]),
    }
