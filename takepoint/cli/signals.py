"""`takepoint integration ...` and `takepoint alerts`."""

from __future__ import annotations

from datetime import timedelta

import typer

from takepoint.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    now,
    print_rows,
    settings,
    unit_of_work,
)
from takepoint.signals import alerts as alert_service
from takepoint.signals import integrations
from takepoint.signals.models import AlertState, HeartbeatKind, IntegrationKind
from takepoint.signals.schemas import HeartbeatSettings
from takepoint.signals.service import add_integration, ingest_url

integration_app = typer.Typer(
    help="Manage integrations: where monitoring tools and jobs send signals.",
    no_args_is_help=True,
)


def _print_key(kind: IntegrationKind, key: str, integration_id: int) -> None:
    base = settings().base_url
    console.print(f"Integration {integration_id}. The key is shown this once; keep it safe:")
    if kind is IntegrationKind.PAGERDUTY:
        console.print(
            "(send PagerDuty Events API v2 events to the URL with the key as routing_key)"
        )
    # The last two lines are plain, so scripts can capture them.
    print(key)
    print(ingest_url(base, kind, key))


@integration_app.command("create")
def create(
    service: str = typer.Argument(..., help="the service's slug or id"),
    kind: IntegrationKind = typer.Option(..., "--kind"),
    name: str | None = typer.Option(None, "--name"),
    cron: str | None = typer.Option(None, "--cron", help="heartbeats: e.g. '0 2 * * *'"),
    period_hours: float | None = typer.Option(None, "--period-hours", help="heartbeats"),
    time_zone: str = typer.Option("UTC", "--tz", help="heartbeats: IANA time zone"),
    grace_minutes: int = typer.Option(60, "--grace-minutes", help="heartbeats"),
    backup: bool = typer.Option(False, "--backup", help="heartbeats: the job is a backup"),
    failures: int = typer.Option(1, "--failures", help="heartbeats: alert after N in a row"),
) -> None:
    """Create an integration and print its key and URL, once."""
    heartbeat = None
    if kind is IntegrationKind.HEARTBEAT:
        heartbeat = HeartbeatSettings(
            kind=HeartbeatKind.BACKUP if backup else HeartbeatKind.JOB,
            cron=cron,
            period_seconds=None if cron else round((period_hours or 24) * 3600),
            time_zone=time_zone,
            grace_seconds=grace_minutes * 60,
            failures_before_alert=failures,
        )
    with unit_of_work() as session:
        integration, key = add_integration(
            session,
            service=integrations.get_service(session, service),
            kind=kind,
            now=now(),
            name=name,
            heartbeat=heartbeat,
        )
        integration_id = integration.id
    _print_key(kind, key, integration_id)


@integration_app.command("list")
def list_(
    service: str | None = typer.Option(None, "--service"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List integrations (keys are never shown; only their last four characters)."""
    with unit_of_work() as session:
        service_id = integrations.get_service(session, service).id if service else None
        rows = [
            {
                "id": i.id,
                "service": i.service.slug,
                "kind": i.kind.value,
                "name": i.name,
                "key_ends": i.key_hint,
                "last_signal_at": i.last_signal_at.isoformat() if i.last_signal_at else None,
                "heartbeat": i.heartbeat.status.value if i.heartbeat else None,
            }
            for i in integrations.list_integrations(session, service_id=service_id)
        ]
    print_rows(rows, list(rows[0]) if rows else ["id"], fmt, title="Integrations")


@integration_app.command("rotate")
def rotate(
    integration_id: int = typer.Argument(...),
    grace_hours: float = typer.Option(24, "--grace-hours", help="how long the old key works"),
) -> None:
    """Issue a new key; the old one keeps working for the grace period."""
    with unit_of_work() as session:
        integration = integrations.get_integration(session, integration_id)
        key = integrations.rotate_key(
            session, integration=integration, now=now(), grace=timedelta(hours=grace_hours)
        )
        kind = integration.kind
    _print_key(kind, key, integration_id)


@integration_app.command("delete")
def delete(
    integration_id: int = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
) -> None:
    """Delete an integration and its alerts."""
    with unit_of_work() as session:
        integration = integrations.get_integration(session, integration_id)
        if not yes:
            typer.confirm(f"Delete {integration.name} and all its alerts?", abort=True)
        integrations.delete_integration(session, integration=integration)
    console.print(f"Deleted integration {integration_id}.")


def alerts(
    service: str | None = typer.Option(None, "--service", help="a service's slug or id"),
    open_only: bool = typer.Option(False, "--open", help="only open or acknowledged alerts"),
    limit: int = typer.Option(100, "--limit", min=1, max=10000),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List alerts, newest first."""
    with unit_of_work() as session:
        service_id = integrations.get_service(session, service).id if service else None
        wanted = alert_service.AlertFilter(
            service_id=service_id,
            states=alert_service.LIVE_STATES if open_only else tuple(AlertState),
            limit=limit,
        )
        rows = [
            {
                "id": a.id,
                "state": a.state.value,
                "severity": a.severity.value,
                "service": a.service.slug,
                "summary": a.summary,
                "source": a.source,
                "count": a.event_count,
                "first_seen_at": a.first_seen_at.isoformat(),
                "last_seen_at": a.last_seen_at.isoformat(),
                "maintenance": a.during_maintenance,
                "silenced": a.silence_id is not None,
            }
            for a in alert_service.list_alerts(session, wanted)
        ]
    columns = ["id", "state", "severity", "service", "summary", "source", "count", "last_seen_at"]
    print_rows(rows, columns, fmt, title="Alerts")
