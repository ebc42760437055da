"""Suggested improvements for an incident report, drawn from the readiness audit.

The services involved are the incident's own service and the things it depends on that were in
trouble: those with alerts now, and those the record names (a note or the resolution that says
"txn-01 /var is full"). For each, the readiness audit's gaps become suggestions ("Name a backup
lead for Clinical app server"). A troubled host that nothing warned about before the incident
opened gets a monitor suggestion, named after what went wrong with it ("Add a disk monitor for
txn-01") when the record says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog import readiness
from takepoint.catalog.models import Host, Service
from takepoint.incidents import probable_cause
from takepoint.incidents.models import Incident
from takepoint.signals.models import Alert
from takepoint.timeline.models import EntryKind, TimelineEntry

# How long before the incident an alert about the same thing counts as a warning.
WARNING_WINDOW = timedelta(days=2)
# What a host's trouble was, from the words used about it.
_TROUBLE_WORDS = [
    (
        "disk",
        re.compile(r"\b(?:disk|df|full|space|volume|inode|filesystem|/var|log volume)\b", re.I),
    ),
    ("memory", re.compile(r"\b(?:memory|oom|swap|ram)\b", re.I)),
    ("CPU", re.compile(r"\b(?:cpu|load average)\b", re.I)),
    ("certificate", re.compile(r"\b(?:certificate|cert|tls|ssl)\b", re.I)),
]
_CHECK_ORDER = [
    readiness.Check.BACKUP_LEAD,
    readiness.Check.TECH_LEAD,
    readiness.Check.MONITOR,
    readiness.Check.RUNBOOK,
    readiness.Check.RUNBOOK_REVIEWED,
    readiness.Check.BACKUP_HEARTBEAT,
    readiness.Check.DEPARTMENT_CONTACT,
    readiness.Check.DEPENDENCIES,
]


@dataclass(frozen=True)
class Improvement:
    text: str
    service_id: int | None
    check: str


def _record_text(session: Session, incident: Incident) -> str:
    said = session.scalars(
        select(TimelineEntry.text).where(
            TimelineEntry.chain == incident.chain,
            TimelineEntry.kind.in_([EntryKind.NOTE, EntryKind.STATUS_UPDATE, EntryKind.RESOLVED]),
        )
    )
    return "\n".join([incident.title, incident.description, incident.resolution_note, *said])


def _mentions(text: str, *words: str) -> bool:
    return any(
        re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.IGNORECASE) for w in words if w
    )


def _trouble_kind(texts: list[str]) -> str:
    for kind, pattern in _TROUBLE_WORDS:
        if any(pattern.search(t) for t in texts):
            return kind
    return ""


def _sentences_about(text: str, hostname: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+|\n", text) if _mentions(s, hostname)]


def _warned_before(session: Session, incident: Incident, host: Host) -> bool:
    """Did any alert about this host (or its service) arrive before the incident opened?"""
    alerts = session.scalars(
        select(Alert).where(
            Alert.first_seen_at < incident.opened_at,
            Alert.first_seen_at >= incident.opened_at - WARNING_WINDOW,
        )
    )
    for alert in alerts:
        if alert.service_id == host.service_id or _host_of(alert) == host.hostname.lower():
            return True
    return False


def involved(session: Session, incident: Incident) -> tuple[list[Service], list[Host]]:
    """The incident's service and the troubled or named things upstream of it."""
    text = _record_text(session, incident)
    suspects = probable_cause.suspects(session, incident.service)
    by_slug = {s.slug: s for s in suspects}
    upstream = session.scalars(
        select(Service).where(Service.slug.in_([s.slug for s in suspects if s.kind == "service"]))
    ).all()
    hostnames = [s.slug for s in suspects if s.kind == "host"]
    hosts = session.scalars(select(Host).where(Host.hostname.in_(hostnames))).all()
    flagged_hosts = [
        h for h in hosts if by_slug[h.hostname].troubled or _mentions(text, h.hostname)
    ]
    services = [incident.service]
    for service in upstream:
        named = _mentions(text, service.name, service.slug, *(h.hostname for h in service.hosts))
        troubled = by_slug[service.slug].troubled or any(
            h.service_id == service.id for h in flagged_hosts
        )
        if named or troubled:
            services.append(service)
    return services, sorted(flagged_hosts, key=lambda h: h.hostname)


def _from_audit(item: readiness.ServiceReadiness, finding: readiness.Finding) -> str:
    name, message = item.name, finding.message
    return {
        readiness.Check.BACKUP_LEAD: f"Name a backup lead for {name} ({message})",
        readiness.Check.TECH_LEAD: f"Name a technical lead for {name} ({message})",
        readiness.Check.MONITOR: f"Add a monitor for {name}: {message}",
        readiness.Check.RUNBOOK: f"Write a runbook for {name}: it has none",
        readiness.Check.RUNBOOK_REVIEWED: f"Review the runbook of {name} ({message})",
        readiness.Check.BACKUP_HEARTBEAT: f"Add a backup heartbeat for {name}: {message}",
        readiness.Check.DEPARTMENT_CONTACT: (
            f"Record whom to call in the departments {name} serves ({message})"
        ),
        readiness.Check.DEPENDENCIES: f"Record what {name} depends on",
    }[finding.check]


def suggest(session: Session, *, incident: Incident, now: datetime) -> list[Improvement]:
    """What would have made this incident shorter or avoided it, most specific first."""
    services, hosts = involved(session, incident)
    text = _record_text(session, incident)
    found: list[Improvement] = []
    monitored_hosts: set[int] = set()
    for host in hosts:
        if _warned_before(session, incident, host):
            continue
        alerts = [a.summary for a in _alerts_about(session, host)]
        kind = _trouble_kind(_sentences_about(text, host.hostname) + alerts)
        what = f"a {kind} monitor" if kind else "a monitor"
        found.append(
            Improvement(
                f"Add {what} for {host.hostname}: nothing warned about it before the incident",
                host.service_id,
                readiness.Check.MONITOR.value,
            )
        )
        monitored_hosts.add(host.service_id)
    audited = readiness.audit(session, now=now, service_ids=[s.id for s in services])
    report = {r.service_id: r for r in audited}
    for check in _CHECK_ORDER:
        for service in services:
            item = report.get(service.id)
            if item is None:
                continue
            for finding in item.missing:
                if finding.check is not check:
                    continue
                if check is readiness.Check.MONITOR and service.id in monitored_hosts:
                    continue
                found.append(Improvement(_from_audit(item, finding), service.id, check.value))
    return found


def _host_of(alert: Alert) -> str:
    for key in probable_cause.HOST_LABELS:
        value = (alert.labels or {}).get(key)
        if value:
            return str(value).split(":")[0].lower()
    return (alert.source or "").split(":")[0].lower()


def _alerts_about(session: Session, host: Host) -> list[Alert]:
    """The latest alerts about `host`, to tell what kind of trouble it has."""
    latest = session.scalars(select(Alert).order_by(Alert.first_seen_at.desc()).limit(1000))
    return [a for a in latest if _host_of(a) == host.hostname.lower()]
