"""The probable-cause panel: how the things this service depends on are doing right now."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import Dependency, Host, Service
from takepoint.signals.models import Alert, AlertState, Heartbeat, HeartbeatStatus

MAX_DEPTH = 3
HOST_LABELS = ("host", "hostname", "instance", "node", "nodename")


@dataclass
class Suspect:
    kind: str  # "service" or "host"
    name: str
    slug: str
    depth: int
    alerts: list[Alert] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)

    @property
    def troubled(self) -> bool:
        return bool(self.alerts) or any(h.status is HeartbeatStatus.DOWN for h in self.heartbeats)


def _host_of(alert: Alert) -> str:
    for key in HOST_LABELS:
        value = (alert.labels or {}).get(key)
        if value:
            return str(value).split(":")[0].lower()
    return (alert.source or "").split(":")[0].lower()


def suspects(session: Session, service: Service) -> list[Suspect]:
    """Upstream services (to a few hops) and hosts, troubled ones first."""
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
    found: list[Suspect] = [
        Suspect("service", s.name, s.slug, depth_of[sid]) for sid, s in services.items()
    ]
    by_service = {s.slug: sus for s, sus in zip(services.values(), found, strict=True)}
    by_host = {
        h.hostname.lower(): Suspect("host", h.hostname, h.hostname, d) for h, d in hosts.values()
    }
    live = session.scalars(
        select(Alert)
        .where(Alert.state != AlertState.RESOLVED)
        .order_by(Alert.last_seen_at.desc())
        .limit(1000)
    ).all()
    slug_of = {sid: s.slug for sid, s in services.items()}
    for alert in live:
        hostname = _host_of(alert)
        if hostname in by_host:
            by_host[hostname].alerts.append(alert)
        elif alert.service_id in slug_of:
            by_service[slug_of[alert.service_id]].alerts.append(alert)
    for beat in session.scalars(select(Heartbeat).where(Heartbeat.service_id.in_(list(services)))):
        by_service[slug_of[beat.service_id]].heartbeats.append(beat)
    everything = list(by_service.values()) + list(by_host.values())
    return sorted(everything, key=lambda s: (not s.troubled, s.depth, s.name))
