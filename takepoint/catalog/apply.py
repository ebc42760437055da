"""The `departments` and `services` sections of catalog files.

A service entry describes the service and the things that belong only to it: the lists it gives
(hosts, data, links, departments, depends_on) replace what was there. Runbooks have a history,
so they are matched by slug and changed by writing a new version; a runbook left out of the list
is kept unless the file is applied with --prune.

Diffing and exporting share one normalised view of a service (snapshot.py), which is what makes
an exported file apply with no changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog import service as catalog
from takepoint.catalog import snapshot
from takepoint.catalog.apply_checks import check_services
from takepoint.catalog.apply_write import write_services
from takepoint.catalog.models import Department, Service
from takepoint.catalog.snapshot import LIST_FIELDS, SCALAR_FIELDS
from takepoint.catalog.spec import DepartmentEntry, ServiceEntry
from takepoint.lib.apply import Action, Change, Context, Entry, Section, describe
from takepoint.lib.removal import remove

# --- departments -------------------------------------------------------------------------------


def _departments(session: Session) -> dict[str, Department]:
    return {d.slug: d for d in catalog.list_departments(session)}


def _contacts_view(department: Department) -> list[dict[str, str]]:
    return [
        {"name": c.name, "role": c.role, "phone": c.phone, "email": c.email, "hours": c.hours}
        for c in department.contacts
    ]


def _entry_contacts(item: DepartmentEntry) -> list[dict[str, str]]:
    return [c.model_dump() for c in item.contacts]


class DepartmentsSection(Section[DepartmentEntry]):
    key = "departments"
    kind = "department"
    model = DepartmentEntry
    description = "Departments that use services: their contacts and when not to disrupt them."

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(Department.slug)))

    def plan(self, ctx: Context, entries: list[Entry[DepartmentEntry]]) -> list[Change]:
        departments = _departments(ctx.session)
        changes = []
        for entry in entries:
            item = entry.item
            department = departments.get(item.slug)
            if department is None:
                changes.append(Change(Action.CREATE, self.kind, item.slug))
                continue
            details = [
                describe(name, getattr(department, name), getattr(item, name))
                for name in ("name", "do_not_disrupt", "notes")
                if entry.given(name) and getattr(department, name) != getattr(item, name)
            ]
            if entry.given("contacts") and _contacts_view(department) != _entry_contacts(item):
                details.append(
                    describe(
                        "contacts",
                        [c.name for c in department.contacts],
                        [c.name for c in item.contacts],
                    )
                )
            if details:
                changes.append(Change(Action.UPDATE, self.kind, item.slug, tuple(details)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[DepartmentEntry]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        departments = _departments(ctx.session)
        for entry in entries:
            item = entry.item
            if item.slug not in wanted:
                continue
            department = departments.get(item.slug)
            if department is None:
                department = catalog.create_department(
                    ctx.session,
                    slug=item.slug,
                    name=item.name,
                    do_not_disrupt=item.do_not_disrupt,
                    notes=item.notes,
                    now=ctx.now,
                )
            else:
                catalog.update_department(
                    ctx.session,
                    department=department,
                    now=ctx.now,
                    **{
                        name: getattr(item, name)
                        for name in ("name", "do_not_disrupt", "notes")
                        if entry.given(name)
                    },
                )
            if entry.given("contacts"):
                catalog.set_contacts(
                    ctx.session,
                    department=department,
                    contacts=[catalog.ContactInput(**c.model_dump()) for c in item.contacts],
                    now=ctx.now,
                )

    def delete(self, ctx: Context, names: list[str]) -> None:
        for slug in names:
            catalog.delete_department(
                ctx.session, department=catalog.get_department(ctx.session, slug)
            )

    def export(self, session: Session) -> list[dict[str, Any]]:
        return [
            {
                "slug": d.slug,
                "name": d.name,
                "do_not_disrupt": d.do_not_disrupt,
                "notes": d.notes,
                "contacts": [snapshot.compact(c) for c in _contacts_view(d)],
            }
            for d in sorted(_departments(session).values(), key=lambda d: d.slug)
        ]


def _list_detail(name: str, before: list[Any], after: list[Any]) -> str:
    def label(row: Any) -> str:
        if isinstance(row, str):
            return row
        if name == "depends_on":
            kind, target = snapshot.dependency_key(row)
            return f"{kind} {target}"
        return str(next(iter(row.values())))

    old = {label(r): r for r in before}
    new = {label(r): r for r in after}
    parts = [f"+ {k}" for k in new if k not in old]
    parts += [f"- {k}" for k in old if k not in new]
    parts += [f"~ {k}" for k in new if k in old and new[k] != old[k]]
    if not parts:
        return f"{name}: reordered"
    return f"{name}: {', '.join(parts)}"


def _runbook_details(entry: Entry[ServiceEntry], before: dict[str, Any], prune: bool) -> list[str]:
    if not entry.given("runbooks"):
        return []
    old = {r["slug"]: r for r in before["runbooks"]}
    details = []
    listed = set()
    for runbook in entry.item.runbooks:
        listed.add(runbook.slug)
        new = snapshot.file_runbook_view(runbook)
        current = old.get(runbook.slug)
        if current is None:
            details.append(f"runbook {runbook.slug}: create")
            continue
        changed = [k for k in ("title", "body", "steps") if new[k] != current[k]]
        if changed:
            details.append(f"runbook {runbook.slug}: new version ({', '.join(changed)} changed)")
        elif new["last_reviewed"] and new["last_reviewed"] != current["last_reviewed"]:
            details.append(
                describe(
                    f"runbook {runbook.slug}: last reviewed",
                    current["last_reviewed"],
                    new["last_reviewed"],
                )
            )
    if prune:
        details += [f"runbook {slug}: delete" for slug in sorted(set(old) - listed)]
    return details


# --- services: the section ---------------------------------------------------------------------


class ServicesSection(Section[ServiceEntry]):
    key = "services"
    kind = "service"
    model = ServiceEntry
    description = "Services: owners, departments, hosts, data, links, dependencies, runbooks."

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(Service.slug)))

    def check(self, ctx: Context, entries: list[Entry[ServiceEntry]]) -> None:
        check_services(ctx, entries, snapshot.cached(ctx).services)

    def plan(self, ctx: Context, entries: list[Entry[ServiceEntry]]) -> list[Change]:
        loaded = snapshot.cached(ctx)
        changes = []
        for entry in entries:
            item = entry.item
            service = loaded.services.get(item.slug)
            if service is None:
                counts = [
                    f"{len(getattr(item, name))} {name.replace('_', ' ')}"
                    for name in ("hosts", "depends_on", "runbooks")
                    if getattr(item, name)
                ]
                summary = ", ".join([f"tier {item.tier}", *counts])
                changes.append(Change(Action.CREATE, self.kind, item.slug, (summary,)))
                continue
            before, after = snapshot.db_view(service, loaded.current), snapshot.file_view(item)
            details = [
                describe(name, before[name], after[name])
                for name in SCALAR_FIELDS
                if entry.given(name) and before[name] != after[name]
            ]
            details += [
                _list_detail(name, before[name], after[name])
                for name in LIST_FIELDS
                if entry.given(name) and before[name] != after[name]
            ]
            details += _runbook_details(entry, before, ctx.prune)
            if details:
                changes.append(Change(Action.UPDATE, self.kind, item.slug, tuple(details)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[ServiceEntry]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        write_services(ctx, [e for e in entries if e.item.slug in wanted])

    def delete(self, ctx: Context, names: list[str]) -> None:
        for service in ctx.session.scalars(select(Service).where(Service.slug.in_(names))):
            remove(ctx.session, service, what=f"service {service.slug}")

    def export(self, session: Session) -> list[dict[str, Any]]:
        loaded = snapshot.load(session)
        rows = []
        for slug in sorted(loaded.services):
            view = snapshot.db_view(loaded.services[slug], loaded.current)
            for name in ("hosts", "depends_on"):
                view[name] = [snapshot.compact(r) for r in view[name]]
            for runbook in view["runbooks"]:
                runbook["steps"] = [snapshot.compact(s) for s in runbook["steps"]]
            rows.append(view)
        return rows


DEPARTMENTS = DepartmentsSection()
SERVICES = ServicesSection()
