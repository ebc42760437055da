"""The signals domain's front door for the API, the web pages and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.errors import InvalidInput
from takepoint.signals.heartbeats import create_heartbeat, schedule_of
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import Heartbeat, Integration, IntegrationKind
from takepoint.signals.schedule import check_schedule
from takepoint.signals.schemas import HeartbeatOut, HeartbeatSettings, IntegrationOut

KEY_PLACEHOLDER = "<key>"


def add_integration(
    session: Session,
    *,
    service: Service,
    kind: IntegrationKind,
    now: datetime,
    name: str | None = None,
    field_paths: dict[str, str] | None = None,
    heartbeat: HeartbeatSettings | None = None,
) -> tuple[Integration, str]:
    """Create an integration of any kind; returns it with its key, shown this once."""
    if heartbeat is not None and kind is not IntegrationKind.HEARTBEAT:
        raise InvalidInput("only heartbeat integrations have a schedule", field="heartbeat")
    if kind is IntegrationKind.HEARTBEAT:
        wanted = heartbeat or HeartbeatSettings(period_seconds=86400)
        schedule = check_schedule(
            period=timedelta(seconds=wanted.period_seconds) if wanted.period_seconds else None,
            cron=wanted.cron,
            time_zone=wanted.time_zone,
            grace=timedelta(seconds=wanted.grace_seconds),
        )
        return create_heartbeat(
            session,
            service=service,
            schedule=schedule,
            now=now,
            name=name,
            kind=wanted.kind,
            failures_before_alert=wanted.failures_before_alert,
        )
    return create_integration(
        session, service=service, kind=kind, now=now, name=name, field_paths=field_paths
    )


def ingest_url(base_url: str, kind: IntegrationKind, key: str = KEY_PLACEHOLDER) -> str:
    if kind is IntegrationKind.PAGERDUTY:
        return f"{base_url}/v2/enqueue"
    if kind is IntegrationKind.HEARTBEAT:
        return f"{base_url}/ping/{key}"
    return f"{base_url}/integrations/{key}/{kind.value}"


def heartbeat_out(heartbeat: Heartbeat) -> HeartbeatOut:
    return HeartbeatOut(
        id=heartbeat.id,
        integration_id=heartbeat.integration_id,
        service_id=heartbeat.service_id,
        kind=heartbeat.kind,
        schedule_kind=heartbeat.schedule_kind,
        period_seconds=heartbeat.period_seconds,
        cron=heartbeat.cron,
        time_zone=heartbeat.time_zone,
        grace_seconds=heartbeat.grace_seconds,
        failures_before_alert=heartbeat.failures_before_alert,
        status=heartbeat.status,
        schedule=schedule_of(heartbeat).in_words(),
        started_at=heartbeat.started_at,
        last_ping_at=heartbeat.last_ping_at,
        last_success_at=heartbeat.last_success_at,
        last_duration_seconds=heartbeat.last_duration_seconds,
        next_due_at=heartbeat.next_due_at,
        alert_after=heartbeat.alert_after,
    )


def integration_out(integration: Integration, base_url: str) -> IntegrationOut:
    return IntegrationOut(
        id=integration.id,
        service_id=integration.service_id,
        service_slug=integration.service.slug,
        kind=integration.kind,
        name=integration.name,
        key_hint=integration.key_hint,
        field_paths=integration.field_paths or {},
        created_at=integration.created_at,
        rotated_at=integration.rotated_at,
        previous_key_expires_at=integration.previous_key_expires_at,
        last_signal_at=integration.last_signal_at,
        url=ingest_url(base_url, integration.kind),
        heartbeat=heartbeat_out(integration.heartbeat) if integration.heartbeat else None,
    )


def setup_snippets(base_url: str, integration: Integration, key: str | None) -> dict[str, str]:
    """What to paste into the sending tool, with the real key when it is being shown."""
    secret = key or KEY_PLACEHOLDER
    kind = integration.kind
    url = ingest_url(base_url, kind, secret)
    if kind is IntegrationKind.PAGERDUTY:
        return {
            "curl": (
                f"curl -sS -X POST {url} \\\n"
                "  -H 'Content-Type: application/json' \\\n"
                f'  -d \'{{"routing_key": "{secret}", "event_action": "trigger", '
                '"dedup_key": "disk-var-txn-01", "payload": {"summary": "disk /var 96% full", '
                '"source": "txn-01", "severity": "critical"}}\''
            ),
            "Python (pagerduty)": (
                "import pagerduty\n"
                f"events = pagerduty.EventsApiV2Client('{secret}', base_url='{base_url}')\n"
                "key = events.trigger('disk /var 96% full', 'txn-01', severity='critical')\n"
                "events.resolve(key)"
            ),
        }
    if kind is IntegrationKind.ALERTMANAGER:
        return {
            "alertmanager.yml": (
                "receivers:\n"
                "  - name: takepoint\n"
                "    webhook_configs:\n"
                f"      - url: {url}\n"
                "        send_resolved: true\n"
                "        max_alerts: 0\n"
            ),
            "curl": (
                f"curl -sS -X POST {url} -H 'Content-Type: application/json' -d '"
                '{"version": "4", "status": "firing", "alerts": [{"status": "firing", '
                '"labels": {"alertname": "DiskFull", "instance": "txn-01"}, '
                '"annotations": {"summary": "disk /var 96% full"}, '
                '"fingerprint": "6a1b2c3d4e5f6789"}]}\''
            ),
        }
    if kind is IntegrationKind.GRAFANA:
        return {
            "Grafana contact point": (
                "Alerting → Contact points → Add contact point\n"
                "  Integration: Webhook\n"
                f"  URL: {url}\n"
                "  HTTP method: POST\n"
            ),
            "provisioning (contact-points.yml)": (
                "apiVersion: 1\n"
                "contactPoints:\n"
                "  - orgId: 1\n"
                "    name: takepoint\n"
                "    receivers:\n"
                "      - uid: takepoint\n"
                "        type: webhook\n"
                "        settings:\n"
                f"          url: {url}\n"
                "          httpMethod: POST\n"
            ),
        }
    if kind is IntegrationKind.GENERIC:
        paths = integration.field_paths or {}
        return {
            "curl": (
                f"curl -sS -X POST {url} -H 'Content-Type: application/json' -d '"
                f'{{"{paths.get("summary", "summary")}": "disk /var 96% full", '
                f'"{paths.get("dedup_key", "dedup_key")}": "disk-var-txn-01", '
                f'"{paths.get("severity", "severity")}": "critical", '
                f'"{paths.get("status", "status")}": "firing"}}\''
            ),
            "field paths": "\n".join(f"{name}: {path}" for name, path in paths.items()),
        }
    return {
        "cron": (
            "# crontab: run the job, then report its exit status (0 is success)\n"
            f"0 2 * * * /usr/local/bin/backup.sh; curl -fsS -m 10 --retry 5 -o /dev/null {url}/$?"
        ),
        "shell, with start, duration and log": (
            f"curl -fsS -m 10 --retry 5 {url}/start\n"
            "output=$(/usr/local/bin/backup.sh 2>&1); status=$?\n"
            f'curl -fsS -m 10 --retry 5 --data-raw "$output" {url}/$status'
        ),
    }


__all__ = [
    "add_integration",
    "heartbeat_out",
    "ingest_url",
    "integration_out",
    "setup_snippets",
]
