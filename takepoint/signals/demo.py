"""The demo's signals: integrations for each service, the transaction server's nightly backup
heartbeat, and the disk alert on txn-01 that nobody saw in the story."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Host, Service
from takepoint.signals.alerts import Action, Signal, apply_signals
from takepoint.signals.heartbeats import Ping, create_heartbeat, record_ping
from takepoint.signals.integrations import IntegrationRef, create_integration
from takepoint.signals.models import HeartbeatKind, IntegrationKind, PingKind, Severity
from takepoint.signals.schedule import check_schedule

DISK_HOST = "txn-01"


def _transaction_server(session: Session) -> Service | None:
    by_host = session.scalar(
        select(Service).join(Host, Host.service_id == Service.id).where(Host.hostname == DISK_HOST)
    )
    if by_host is not None:
        return by_host
    return session.scalar(
        select(Service).where(
            or_(Service.slug.contains("transaction"), Service.name.ilike("%transaction%"))
        )
    )


def _last_two_am(now: datetime, zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    run = local.replace(hour=2, minute=0, second=0, microsecond=0)
    if run > local:
        run -= timedelta(days=1)
    return run


def load_demo_signals(session: Session, *, now: datetime) -> None:
    """Add the signals part of the demo to the catalog's demo services (if they exist)."""
    services = list(session.scalars(select(Service).order_by(Service.name)))
    refs: dict[int, IntegrationRef] = {}
    for service in services:
        integration, _ = create_integration(
            session,
            service=service,
            kind=IntegrationKind.ALERTMANAGER,
            now=now,
            name=f"{service.name} Prometheus",
        )
        refs[service.id] = IntegrationRef(
            id=integration.id,
            service_id=service.id,
            kind=integration.kind,
            field_paths={},
        )
    txn = _transaction_server(session)
    if txn is None:
        return
    zone = "Europe/London"
    schedule = check_schedule(
        period=None, cron="0 2 * * *", time_zone=zone, grace=timedelta(hours=1)
    )
    ran = _last_two_am(now, zone)
    integration, key = create_heartbeat(
        session,
        service=txn,
        schedule=schedule,
        now=ran - timedelta(days=1),
        name="Nightly database backup",
        kind=HeartbeatKind.BACKUP,
    )
    for kind, moment, body in (
        (PingKind.START, ran, b""),
        (PingKind.SUCCESS, ran + timedelta(minutes=14), b"pg_dump: 4.2 GB written to nas-02"),
    ):
        ping = Ping(
            key=key,
            kind=kind,
            exit_status=0 if kind is PingKind.SUCCESS else None,
            body=body,
            body_truncated=False,
            method="POST",
            remote_addr="10.20.0.11",
            user_agent="curl/7.88.1",
        )
        record_ping(session, ping, moment)
    disk = Signal(
        action=Action.TRIGGER,
        dedup_key="demo-diskfull-txn-01-var",
        summary="disk /var 96% full",
        severity=Severity.CRITICAL,
        source=DISK_HOST,
        labels={
            "alertname": "DiskFull",
            "instance": DISK_HOST,
            "mountpoint": "/var",
            "severity": "critical",
        },
        details={"annotations": {"summary": "disk /var 96% full", "runbook": "clean /var/log"}},
        raw={
            "alert": {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "instance": DISK_HOST, "mountpoint": "/var"},
                "annotations": {"summary": "disk /var 96% full"},
                "fingerprint": "demo-diskfull-txn-01-var",
            }
        },
    )
    ref = refs[txn.id]
    apply_signals(session, integration=ref, signals=[disk], now=now - timedelta(hours=3))
    apply_signals(session, integration=ref, signals=[disk], now=now)
