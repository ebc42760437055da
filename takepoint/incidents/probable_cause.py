"""The probable-cause panel: how the things this service depends on are doing.

A service is in trouble when it has alerts, when a host it runs on has alerts, when it has an
open incident of its own, or when a heartbeat of it is down. For an incident still open that is
the state now; for a resolved one, the state during it: the alerts and incidents that were open
at some time between its opening and its resolution (what is wrong today says nothing about the
night it happened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import Dependency, Host, Service
from takepoint.incidents.models import Incident, IncidentState
from takepoint.signals.models import Alert, AlertState, Heartbeat, HeartbeatStatus

MAX_DEPTH = 3
HOST_LABELS = ("host", "hostname", "instance", "node", "nodename")
# The newest alerts looked at for the panel: host names are in labels, which SQL cannot join.
MAX_ALERTS = 1000


@dataclass
class Suspect:
    kind: str  # "service" or "host"
    name: str
    slug: str
    depth: int
    alerts: list[Alert] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    # A service's hosts and their alerts: a full disk on txn-01 is the transaction server's.
    host_alerts: list[tuple[str, Alert]] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def troubled(self) -> bool:
        return bool(self.alerts or self.host_alerts or self.incidents) or any(
            h.status is HeartbeatStatus.DOWN for h in self.heartbeats
        )


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime


def _host_of(alert: Alert) -> str:
    for key in HOST_LABELS:
        value = (alert.labels or {}).get(key)
        if value:
            return str(value).split(":")[0].lower()
    return (alert.source or "").split(":")[0].lower()


def _alerts(window: _Window | None) -> Select[Alert]:
    query = select(Alert).order_by(Alert.last_seen_at.desc()).limit(MAX_ALERTS)
    if window is None:
        return query.where(Alert.state != AlertState.RESOLVED)
    return query.where(
        Alert.first_seen_at <= window.end,
        or_(Alert.resolved_at.is_(None), Alert.resolved_at >= window.start),
    )


def _incidents(service_ids: list[int], window: _Window | None, but: int | None) -> Select[Incident]:
    query = select(Incident).where(Incident.service_id.in_(service_ids)).order_by(Incident.id)
    if but is not None:
        query = query.where(Incident.id != but)
    if window is None:
        return query.where(Incident.state != IncidentState.RESOLVED)
    return query.where(
        Incident.opened_at <= window.end,
        or_(Incident.resolved_at.is_(None), Incident.resolved_at >= window.start),
    )


def suspects(
    session: Session, service: Service, *, incident: Incident | None = None
) -> list[Suspect]:
    """Upstream services (to a few hops) and hosts, troubled ones first.

    With a resolved `incident`, their state during it rather than now; the incident itself
    never counts against what it depends on.
    """
    window = (
        _Window(incident.opened_at, incident.resolved_at)
        if incident is not None and incident.resolved_at is not None
        else None
    )
    depth_of: dict[int, int] = {service.id: 0}
    hosts: dict[int, tuple[Host, int]] = {h.id: (h, 0) for h in service.hosts}
    frontier = [service.id]
    for depth in range(1, MAX_DEPTH + 1):
        if not frontier:
            break
        edges = session.scalars(
            select(Dependency)
            .options(
                selectinload(Dependency.depends_on_host),
                selectinload(Dependency.depends_on_service),
            )
            .where(Dependency.service_id.in_(frontier))
        ).all()
        frontier = []
        for edge in edges:
            if (
                edge.depends_on_service_id is not None
                and edge.depends_on_service_id not in depth_of
            ):
                depth_of[edge.depends_on_service_id] = depth
                frontier.append(edge.depends_on_service_id)
            if edge.depends_on_host is not None and edge.depends_on_host.id not in hosts:
                hosts[edge.depends_on_host.id] = (edge.depends_on_host, depth)
    upstream = [sid for sid in depth_of if sid != service.id]
    services = {
        s.id: s
        for s in session.scalars(
            select(Service).options(selectinload(Service.hosts)).where(Service.id.in_(upstream))
        )
    }
    for sid, svc in services.items():
        for host in svc.hosts:
            hosts.setdefault(host.id, (host, depth_of[sid]))
    by_service = {
        sid: Suspect("service", s.name, s.slug, depth_of[sid]) for sid, s in services.items()
    }
    by_host = {
        h.hostname.lower(): Suspect("host", h.hostname, h.hostname, d) for h, d in hosts.values()
    }
    for alert in session.scalars(_alerts(window)):
        hostname = _host_of(alert)
        if hostname in by_host:
            by_host[hostname].alerts.append(alert)
        elif alert.service_id in by_service:
            by_service[alert.service_id].alerts.append(alert)
    for sid, svc in services.items():
        for host in sorted(svc.hosts, key=lambda h: h.hostname):
            by_service[sid].host_alerts += [
                (host.hostname, a) for a in by_host[host.hostname.lower()].alerts
            ]
    but = incident.id if incident is not None else None
    for other in session.scalars(_incidents(list(services), window, but)):
        by_service[other.service_id].incidents.append(other)
    # A heartbeat's status is only ever now; during a past incident its lateness shows as the
    # alert it raised.
    if window is None:
        for beat in session.scalars(
            select(Heartbeat).where(Heartbeat.service_id.in_(list(services)))
        ):
            by_service[beat.service_id].heartbeats.append(beat)
    everything = list(by_service.values()) + list(by_host.values())
    return sorted(everything, key=lambda s: (not s.troubled, s.depth, s.name))
