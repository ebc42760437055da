"""Reference checks for the `services` section, run before anything is written.

They look at the catalog as it will be once the file is applied: the database, with the file's
entries laid over it and pruned objects taken away. Every problem is reported at the line that
causes it, and all of them are reported together.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select

from takepoint.catalog.graph import describe_cycle, find_cycle
from takepoint.catalog.models import Host, Service
from takepoint.catalog.spec import ServiceEntry
from takepoint.lib.apply import Context, Entry


def _check_people_and_names(
    ctx: Context, entry: Entry[ServiceEntry], service: Service | None
) -> None:
    item = entry.item
    if item.team and not ctx.knows("teams", item.team):
        ctx.report(entry, ("team",), f"unknown team '{item.team}'")
    for role in ("tech_lead", "backup_lead"):
        email = getattr(item, role)
        if email and not ctx.knows("users", email):
            ctx.report(entry, (role,), f"unknown user '{email}' as {role.replace('_', ' ')}")
    tech = (
        item.tech_lead
        if entry.given("tech_lead") or service is None
        else (service.tech_lead.email if service.tech_lead else None)
    )
    backup = (
        item.backup_lead
        if entry.given("backup_lead") or service is None
        else (service.backup_lead.email if service.backup_lead else None)
    )
    if tech and tech == backup:
        where = "backup_lead" if entry.given("backup_lead") else "tech_lead"
        ctx.report(
            entry, (where,), f"the backup lead must be someone other than the tech lead ({tech})"
        )
    for index, slug in enumerate(item.departments):
        if not ctx.knows("departments", slug):
            ctx.report(entry, ("departments", index), f"unknown department '{slug}'")
    seen: dict[str, int] = {}
    for r_index, runbook in enumerate(item.runbooks):
        if runbook.slug in seen:
            ctx.report(
                entry,
                ("runbooks", r_index, "slug"),
                f"duplicate runbook '{runbook.slug}' (first at line "
                f"{entry.line('runbooks', seen[runbook.slug])})",
            )
        seen.setdefault(runbook.slug, r_index)
        for s_index, step in enumerate(runbook.steps):
            if step.confirm_with and not ctx.knows("departments", step.confirm_with):
                ctx.report(
                    entry,
                    ("runbooks", r_index, "steps", s_index, "confirm_with"),
                    f"unknown department '{step.confirm_with}'",
                )


def _final_hosts(
    ctx: Context, entries: list[Entry[ServiceEntry]], pruned: set[str]
) -> dict[str, str]:
    """Hostname -> owning service slug, once the file is applied."""
    replaced = {e.item.slug for e in entries if e.given("hosts")}
    owners: dict[str, str] = {}
    rows = ctx.session.execute(
        select(Host.hostname, Service.slug).join(Service, Service.id == Host.service_id)
    )
    for hostname, slug in rows:
        if slug not in pruned and slug not in replaced:
            owners[hostname] = slug
    claimed: dict[str, tuple[str, int]] = {}
    for entry in entries:
        if not entry.given("hosts"):
            continue
        for index, host in enumerate(entry.item.hosts):
            line = entry.line("hosts", index)
            if host.hostname in claimed:
                other, other_line = claimed[host.hostname]
                ctx.report(
                    entry,
                    ("hosts", index),
                    f"host '{host.hostname}' is also listed under '{other}' (line {other_line})",
                )
                continue
            claimed[host.hostname] = (entry.item.slug, line)
            owners[host.hostname] = entry.item.slug
    return owners


def _check_dependencies(ctx: Context, entry: Entry[ServiceEntry], hosts: dict[str, str]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, dependency in enumerate(entry.item.depends_on):
        kind, target = dependency.target
        if (kind, target) in seen:
            ctx.report(entry, ("depends_on", index), f"{kind} '{target}' is listed twice")
        seen.add((kind, target))
        if kind == "service" and not ctx.knows("services", target):
            ctx.report(entry, ("depends_on", index, "service"), f"unknown service '{target}'")
        elif kind == "host" and target not in hosts:
            ctx.report(entry, ("depends_on", index, "host"), f"unknown host '{target}'")


def _check_cycles(
    ctx: Context, entries: list[Entry[ServiceEntry]], kept: list[tuple[str, str | None, str | None]]
) -> None:
    edges: dict[str, set[str]] = {}
    for source, on_service, _ in kept:
        if on_service is not None:
            edges.setdefault(source, set()).add(on_service)
    by_slug = {e.item.slug: e for e in entries if e.given("depends_on")}
    for slug, entry in by_slug.items():
        edges[slug] = {d.service for d in entry.item.depends_on if d.service}
    cycle = find_cycle(edges)
    if cycle is None:
        return
    # Report it at the first edge of the cycle that this file writes.
    for source, target in itertools.pairwise(cycle):
        writer = by_slug.get(source)
        if writer is None:
            continue
        index = next(i for i, d in enumerate(writer.item.depends_on) if d.service == target)
        ctx.report(writer, ("depends_on", index), f"dependency cycle: {describe_cycle(cycle)}")
        return


def check_services(
    ctx: Context, entries: list[Entry[ServiceEntry]], services: dict[str, Service]
) -> None:
    pruned = set(services) - ctx.names.get("services", set())
    for entry in entries:
        _check_people_and_names(ctx, entry, services.get(entry.item.slug))
    hosts = _final_hosts(ctx, entries, pruned)
    for entry in entries:
        if entry.given("depends_on"):
            _check_dependencies(ctx, entry, hosts)

    # Edges the file leaves alone must still have both ends afterwards.
    rewritten = {e.item.slug for e in entries if e.given("depends_on")}
    by_slug = {e.item.slug: e for e in entries}
    section_line = ctx.section_lines.get("services", 1)
    kept: list[tuple[str, str | None, str | None]] = []
    for service in services.values():
        if service.slug in pruned or service.slug in rewritten:
            continue
        for dep in service.dependencies:
            on_service = dep.depends_on_service.slug if dep.depends_on_service else None
            on_host = dep.depends_on_host.hostname if dep.depends_on_host else None
            kept.append((service.slug, on_service, on_host))
            if on_service is not None and on_service in pruned:
                ctx.report_at(
                    section_line,
                    f"'{service.slug}' depends on service '{on_service}', which --prune would "
                    "delete",
                )
            if on_host is not None and on_host not in hosts:
                owner = (
                    by_slug.get(dep.depends_on_host.service.slug) if dep.depends_on_host else None
                )
                line = owner.line("hosts") if owner is not None else section_line
                ctx.report_at(
                    line,
                    f"host '{on_host}' would be removed, but '{service.slug}' depends on it",
                )
    _check_cycles(ctx, entries, kept)
