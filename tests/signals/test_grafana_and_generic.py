from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import AlertState, IntegrationKind, Severity
from tests.signals.conftest import alert_count, alerts_of, make_integration

GRAFANA = {
    "receiver": "takepoint",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High CPU", "grafana_folder": "Servers", "severity": "warning"},
            "annotations": {"summary": "CPU above 90% on lab-02"},
            "startsAt": "2026-03-02T08:50:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "c0ffee1234",
            "values": {"B": 93.5},
        }
    ],
    "groupLabels": {"alertname": "High CPU"},
    "commonLabels": {"alertname": "High CPU"},
    "externalURL": "http://grafana:3000/",
    "version": "1",
    "groupKey": '{}:{alertname="High CPU"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1] High CPU",
    "state": "alerting",
    "message": "CPU above 90% on lab-02",
}


def test_it_takes_grafana_alerting_groups_and_their_resolution(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.GRAFANA)
    assert client.post(f"/integrations/{key}/grafana", json=GRAFANA).json()["opened"] == 1
    [alert] = alerts_of(session, integration)
    assert (alert.summary, alert.severity) == ("CPU above 90% on lab-02", Severity.WARNING)
    assert alert.raw["title"] == "[FIRING:1] High CPU"
    resolved = {**GRAFANA, "status": "resolved"}
    resolved["alerts"] = [{**GRAFANA["alerts"][0], "status": "resolved"}]  # type: ignore[index]
    client.post(f"/integrations/{key}/grafana", json=resolved)
    assert alerts_of(session, integration)[0].state is AlertState.RESOLVED


def test_it_takes_legacy_grafana_dashboard_alerts_by_rule(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.GRAFANA)
    legacy = {"ruleId": 7, "ruleName": "Disk full", "state": "alerting", "title": "[Alerting] Disk"}
    client.post(f"/integrations/{key}/grafana", json=legacy)
    client.post(f"/integrations/{key}/grafana", json={**legacy, "state": "ok"})
    [alert] = alerts_of(session, integration)
    assert (alert.dedup_key, alert.state) == ("rule-7", AlertState.RESOLVED)


def test_it_reads_a_generic_webhook_through_its_field_paths(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    paths = {"summary": "trigger.name", "dedup_key": "event.id", "status": "event.value"}
    integration, key = make_integration(
        session, clock, service, IntegrationKind.GENERIC, field_paths=paths
    )
    event = {"trigger": {"name": "UPS on battery"}, "event": {"id": 991, "value": "PROBLEM"}}
    assert client.post(f"/integrations/{key}/generic", json=event).json()["opened"] == 1
    ok = {"trigger": {"name": "UPS on battery"}, "event": {"id": 991, "value": "OK"}}
    assert client.post(f"/integrations/{key}/generic", json=ok).json()["resolved"] == 1
    [alert] = alerts_of(session, integration)
    assert (alert.dedup_key, alert.state) == ("991", AlertState.RESOLVED)
    missing = client.post(f"/integrations/{key}/generic", json={"event": {"id": 1}})
    assert missing.status_code == 422
    assert missing.json()["field"] == "trigger.name"


def test_it_dedups_generic_events_without_a_key_by_summary_and_source(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.GENERIC)
    events = [
        {"summary": "backup slow", "source": "nas-02", "severity": "warning"},
        {"summary": "backup slow", "source": "nas-02", "severity": "warning"},
        {"summary": "backup slow", "source": "nas-03"},
    ]
    assert client.post(f"/integrations/{key}/generic", json=events).status_code == 200
    first, second = alerts_of(session, integration)
    assert (first.event_count, second.event_count) == (2, 1)
    assert alert_count(session) == 2
