from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import AlertState, IntegrationKind, Severity
from tests.signals.conftest import alert_count, alerts_of, make_integration


def _trigger(key: str, **extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "disk /var 96% full", "source": "txn-01", "severity": "critical"},
    }
    event.update(extra)
    return event


def test_it_accepts_a_trigger_and_answers_like_pagerduty(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    response = client.post("/v2/enqueue", json=_trigger(key, dedup_key="disk-var"))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "disk-var",
    }
    [alert] = alerts_of(session, integration)
    assert alert.summary == "disk /var 96% full"
    assert alert.severity is Severity.CRITICAL
    assert alert.state is AlertState.OPEN
    assert alert.service_id == service.id
    assert alert.needs_triage


def test_it_generates_and_returns_a_dedup_key_when_none_is_given(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    dedup_key = client.post("/v2/enqueue", json=_trigger(key)).json()["dedup_key"]
    assert len(dedup_key) == 32
    [alert] = alerts_of(session, integration)
    assert alert.dedup_key == dedup_key


def test_it_counts_repeats_and_opens_a_new_alert_after_a_resolve(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    client.post("/v2/enqueue", json=_trigger(key, dedup_key="k"))
    clock.advance(timedelta(minutes=5))
    client.post("/v2/enqueue", json=_trigger(key, dedup_key="k"))
    [alert] = alerts_of(session, integration)
    assert alert.event_count == 2
    assert alert.last_seen_at - alert.first_seen_at == timedelta(minutes=5)

    ack = {"routing_key": key, "event_action": "acknowledge", "dedup_key": "k"}
    assert client.post("/v2/enqueue", json=ack).status_code == 202
    assert alerts_of(session, integration)[0].state is AlertState.ACKNOWLEDGED
    resolve = {"routing_key": key, "event_action": "resolve", "dedup_key": "k"}
    assert client.post("/v2/enqueue", json=resolve).status_code == 202
    assert alerts_of(session, integration)[0].state is AlertState.RESOLVED

    client.post("/v2/enqueue", json=_trigger(key, dedup_key="k"))
    first, second = alerts_of(session, integration)
    assert (first.state, second.state) == (AlertState.RESOLVED, AlertState.OPEN)


def test_it_names_every_invalid_field(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "", "source": "txn-01", "severity": "bad"},
    }
    response = client.post("/v2/enqueue", json=event)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert any("payload.summary" in e for e in body["errors"])
    assert any("payload.severity" in e for e in body["errors"])
    assert alert_count(session) == 0


def test_it_refuses_an_unknown_routing_key(client: TestClient, session: Session) -> None:
    response = client.post("/v2/enqueue", json=_trigger("x" * 32))
    assert response.status_code == 400
    assert any("routing_key" in e for e in response.json()["errors"])
    assert alert_count(session) == 0


def test_it_refuses_a_body_over_512_kb(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    event = _trigger(key)
    event["payload"] = {
        "summary": "big",
        "source": "x",
        "severity": "info",
        "custom_details": {"blob": "x" * 600_000},
    }
    response = client.post("/v2/enqueue", json=event)
    assert response.status_code == 413
    assert alert_count(session) == 0
