"""Writing the `services` section: the entries that the plan found different.

Rows are built directly (one flush per pass, not per service) so that a catalog of a few hundred
services applies in well under a second; every value was validated by the file's models and the
reference checks before this runs.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.catalog import snapshot
from takepoint.catalog.models import (
    DataLocation,
    Department,
    Dependency,
    Host,
    Runbook,
    RunbookStep,
    RunbookVersion,
    Service,
    ServiceLink,
)
from takepoint.catalog.spec import RunbookEntry, ServiceEntry
from takepoint.lib.apply import Context, Entry


class _Names:
    """Everything an entry can refer to, looked up once."""

    def __init__(self, session: Session) -> None:
        self.users = {u.email: u for u in session.scalars(select(User))}
        self.teams = {t.slug: t for t in session.scalars(select(Team))}
        self.departments = {d.slug: d for d in session.scalars(select(Department))}
        self.hosts = {h.hostname: h for h in session.scalars(select(Host))}

    def user(self, email: str | None) -> User | None:
        return self.users[email] if email else None

    def team(self, slug: str | None) -> Team | None:
        return self.teams[slug] if slug else None


def _write_fields(
    ctx: Context, entry: Entry[ServiceEntry], service: Service | None, names: _Names
) -> Service:
    item = entry.item
    if service is None:
        # Empty collections set up front, so that filling them later loads nothing.
        service = Service(
            slug=item.slug,
            created_at=ctx.now,
            updated_at=ctx.now,
            departments=[],
            hosts=[],
            data_locations=[],
            links=[],
            dependencies=[],
            runbooks=[],
        )
        ctx.session.add(service)
        given = set(type(item).model_fields)
    else:
        given = item.model_fields_set
    if "name" in given:
        service.name = item.name
    if "description" in given:
        service.description = item.description
    if "tier" in given:
        service.tier = item.tier
    if "stores_data" in given:
        service.stores_data = item.stores_data
    if "team" in given:
        service.team = names.team(item.team)
    if "tech_lead" in given:
        service.tech_lead = names.user(item.tech_lead)
    if "backup_lead" in given:
        service.backup_lead = names.user(item.backup_lead)
    if "departments" in given:
        service.departments = [names.departments[slug] for slug in sorted(set(item.departments))]
    if "data" in given:
        service.data_locations = [
            DataLocation(store=d.store, location=d.location, position=i)
            for i, d in enumerate(item.data)
        ]
    if "links" in given:
        service.links = [
            ServiceLink(title=link.title, url=link.url, position=i)
            for i, link in enumerate(item.links)
        ]
    if "hosts" in given:
        # Hosts that leave the list are removed later, after the dependencies on them.
        for wanted in item.hosts:
            host = names.hosts.get(wanted.hostname)
            if host is None:
                host = names.hosts[wanted.hostname] = Host(hostname=wanted.hostname)
            host.role, host.notes = wanted.role, wanted.notes
            if host not in service.hosts:
                service.hosts.append(host)  # moves it here if another service had it
    service.updated_at = ctx.now
    return service


def _write_dependencies(
    entry: Entry[ServiceEntry], service: Service, services: dict[str, Service], names: _Names
) -> None:
    wanted = {d.target: d.note for d in entry.item.depends_on}
    for dep in list(service.dependencies):
        key = (
            ("service", dep.depends_on_service.slug)
            if dep.depends_on_service is not None
            else ("host", dep.depends_on_host.hostname if dep.depends_on_host else "")
        )
        if key not in wanted:
            service.dependencies.remove(dep)
            continue
        dep.note = wanted.pop(key)
    for (kind, target), note in wanted.items():
        if kind == "service":
            service.dependencies.append(Dependency(depends_on_service=services[target], note=note))
        else:
            service.dependencies.append(Dependency(depends_on_host=names.hosts[target], note=note))


def _new_version(
    ctx: Context, runbook: Runbook, number: int, item: RunbookEntry, names: _Names
) -> None:
    version = RunbookVersion(
        runbook=runbook,
        number=number,
        title=item.title,
        body=item.body,
        author=None,
        summary=f"applied from {ctx.filename}"[:300],
        created_at=ctx.now,
        steps=[
            RunbookStep(
                position=i,
                kind=step.kind,
                text=step.text,
                confirm_department=names.departments[step.confirm_with]
                if step.confirm_with
                else None,
            )
            for i, step in enumerate(item.steps)
        ],
    )
    # Added explicitly: a backref alone does not put a new object in the session.
    ctx.session.add(version)


def _write_runbooks(
    ctx: Context,
    entry: Entry[ServiceEntry],
    service: Service,
    loaded: snapshot.Loaded,
    names: _Names,
) -> None:
    existing = {r.slug: r for r in service.runbooks}
    for item in entry.item.runbooks:
        reviewed = snapshot.midnight(item.last_reviewed) if item.last_reviewed else None
        runbook = existing.pop(item.slug, None)
        if runbook is None:
            runbook = Runbook(
                slug=item.slug,
                title=item.title,
                current_version=1,
                last_reviewed_at=reviewed or ctx.now,
                created_at=ctx.now,
            )
            service.runbooks.append(runbook)
            _new_version(ctx, runbook, 1, item, names)
            continue
        version = loaded.current.get(runbook.id)
        before = snapshot.runbook_view(runbook, version) if version is not None else None
        after = snapshot.file_runbook_view(item)
        if before is None or any(before[k] != after[k] for k in ("title", "body", "steps")):
            runbook.current_version += 1
            runbook.title = item.title
            _new_version(ctx, runbook, runbook.current_version, item, names)
            # Changing a runbook counts as reviewing it, unless the file says when that was.
            if (
                reviewed is None
                or snapshot.utc_date(runbook.last_reviewed_at) != item.last_reviewed
            ):
                runbook.last_reviewed_at = reviewed or ctx.now
                runbook.last_reviewed_by = None
        elif (
            reviewed is not None
            and snapshot.utc_date(runbook.last_reviewed_at) != item.last_reviewed
        ):
            runbook.last_reviewed_at = reviewed
            runbook.last_reviewed_by = None
    if ctx.prune:
        for runbook in existing.values():
            service.runbooks.remove(runbook)


def _remove_unlisted_hosts(entry: Entry[ServiceEntry], service: Service, names: _Names) -> None:
    listed = {h.hostname for h in entry.item.hosts}
    for host in list(service.hosts):
        if host.hostname not in listed:
            service.hosts.remove(host)
            names.hosts.pop(host.hostname, None)


def write_services(ctx: Context, entries: list[Entry[ServiceEntry]]) -> None:
    with ctx.session.no_autoflush:
        _write_services(ctx, entries)


def _write_services(ctx: Context, entries: list[Entry[ServiceEntry]]) -> None:
    loaded = snapshot.load(ctx.session)
    names = _Names(ctx.session)
    services = dict(loaded.services)
    for entry in entries:
        services[entry.item.slug] = _write_fields(ctx, entry, services.get(entry.item.slug), names)
    ctx.session.flush()
    for entry in entries:
        service = services[entry.item.slug]
        if entry.given("depends_on"):
            _write_dependencies(entry, service, services, names)
        if entry.given("runbooks"):
            _write_runbooks(ctx, entry, service, loaded, names)
    ctx.session.flush()
    for entry in entries:
        if entry.given("hosts"):
            _remove_unlisted_hosts(entry, services[entry.item.slug], names)
    ctx.session.flush()
