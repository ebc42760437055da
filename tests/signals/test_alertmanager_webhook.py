from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.integrations import rotate_key
from takepoint.signals.models import AlertState, IntegrationKind, Severity
from tests.signals.conftest import alert_count, alerts_of, make_integration


def _alert(instance: str, status: str = "firing", **extra: Any) -> dict[str, Any]:
    alert = {
        "status": status,
        "labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical"},
        "annotations": {"summary": f"disk /var 96% full on {instance}"},
        "startsAt": "2026-03-02T08:55:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": f"fp-{instance}",
    }
    alert.update(extra)
    return alert


def _group(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "takepoint",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull", "team": "hospital-it"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def test_it_opens_one_alert_per_fingerprint_and_keeps_labels(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    body = _group(_alert("txn-01"), _alert("txn-02"))
    response = client.post(f"/integrations/{key}/alertmanager", json=body)
    assert response.status_code == 200
    assert response.json()["opened"] == 2
    first, second = alerts_of(session, integration)
    assert first.summary == "disk /var 96% full on txn-01"
    assert first.source == "txn-01"
    assert first.severity is Severity.CRITICAL
    assert first.labels["team"] == "hospital-it"
    assert first.details["annotations"] == {"summary": "disk /var 96% full on txn-01"}
    assert second.dedup_key == "fp-txn-02"


def test_it_does_not_multiply_alerts_when_a_group_is_sent_again(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    body = _group(_alert("txn-01"), _alert("txn-02"))
    for _ in range(3):
        client.post(f"/integrations/{key}/alertmanager", json=body)
        clock.advance(timedelta(minutes=1))
    found = alerts_of(session, integration)
    assert [a.event_count for a in found] == [3, 3]


def test_it_resolves_by_status_or_by_a_past_end_time(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    client.post(f"/integrations/{key}/alertmanager", json=_group(_alert("a"), _alert("b")))
    ended = (clock.now() - timedelta(seconds=5)).isoformat()
    body = _group(_alert("a", status="resolved", endsAt=ended), _alert("b", endsAt=ended))
    assert client.post(f"/integrations/{key}/alertmanager", json=body).json()["resolved"] == 2
    assert {a.state for a in alerts_of(session, integration)} == {AlertState.RESOLVED}


def test_it_takes_the_key_from_a_bearer_header(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    response = client.post(
        "/integrations/alertmanager",
        json=_group(_alert("txn-01")),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert len(alerts_of(session, integration)) == 1
    assert client.post("/integrations/alertmanager", json=_group()).status_code == 401


def test_it_refuses_a_wrong_key_or_kind_and_writes_nothing(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.GRAFANA)
    wrong_kind = client.post(f"/integrations/{key}/alertmanager", json=_group(_alert("a")))
    assert wrong_kind.status_code == 404
    assert "grafana" in wrong_kind.json()["detail"]
    unknown = client.post("/integrations/nope/alertmanager", json=_group(_alert("a")))
    assert unknown.status_code == 404
    assert alert_count(session) == 0


def test_it_names_the_bad_field_of_a_batch_and_writes_none_of_it(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    body = _group(_alert("a"), _alert("b", status="burning"))
    response = client.post(f"/integrations/{key}/alertmanager", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == "alerts.1.status"
    assert alert_count(session) == 0


def test_it_rotates_a_key_with_a_grace_period(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, old = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    new = rotate_key(session, integration=integration, now=clock.now(), grace=timedelta(hours=1))
    session.commit()
    for key in (old, new):
        assert client.post(f"/integrations/{key}/alertmanager", json=_group()).status_code == 200
    clock.advance(timedelta(hours=1, seconds=1))
    assert client.post(f"/integrations/{old}/alertmanager", json=_group()).status_code == 404
    assert client.post(f"/integrations/{new}/alertmanager", json=_group()).status_code == 200
