"""What JSON a sender may nest or spell: bounded depth and finite numbers, refused with a 400
that names where, so nothing is stored that the pages and the API then cannot show."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.body import MAX_DEPTH
from takepoint.signals.models import IntegrationKind
from tests.factories import make_token, make_user
from tests.signals.conftest import alert_count, alerts_of, make_integration


def _nested(depth: int) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


def _event(key: str, details: object) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {
            "summary": "disk /var 96% full",
            "source": "txn-01",
            "severity": "critical",
            "custom_details": details,
        },
    }


def test_details_nested_255_deep_are_refused_naming_them_and_the_alerts_list_still_works(
    app: FastAPI, session: Session, clock: FakeClock, service: Service
) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    response = client.post("/v2/enqueue", json=_event(key, _nested(255)))
    assert response.status_code == 400, response.text
    assert any("'payload.custom_details' nests more" in e for e in response.json()["errors"])
    assert alert_count(session) == 0
    viewer = make_user(session, clock, role=Role.VIEWER)
    token = make_token(session, clock, viewer, TokenScope.READ)
    listed = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200


def test_details_as_deep_as_the_limit_are_kept(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    # The event and its payload are two levels; the details may use the rest.
    response = client.post("/v2/enqueue", json=_event(key, _nested(MAX_DEPTH - 2)))
    assert response.status_code == 202, response.text
    assert alert_count(session) == 1


def test_a_webhook_nesting_too_deep_is_refused_naming_the_alert(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    body = {
        "version": "4",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "X"}, "deep": _nested(100)}],
    }
    response = client.post(f"/integrations/{key}/alertmanager", json=body)
    assert response.status_code == 400, response.text
    assert "alerts[0]" in response.text
    assert alert_count(session) == 0


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E999"])
def test_a_number_too_large_for_any_float_is_refused_not_retried_or_nulled(
    client: TestClient, session: Session, clock: FakeClock, service: Service, number: str
) -> None:
    # PostgreSQL answered 503 "retry" for ever (a permanent failure), SQLite stored null.
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    raw = json.dumps(_event(key, {"used": 1})).replace('"used": 1', f'"used": {number}')
    response = client.post("/v2/enqueue", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert number in response.text
    assert alert_count(session) == 0


def test_ordinary_numbers_tiny_and_large_are_kept(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    raw = json.dumps(_event(key, {"a": 1, "b": 2})).replace('"a": 1', '"a": 1.5e300')
    raw = raw.replace('"b": 2', '"b": 1e-400')
    response = client.post("/v2/enqueue", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.text


def test_a_numeric_routing_key_is_named_as_the_wrong_type(client: TestClient) -> None:
    event = _event("x", {})
    event["routing_key"] = 12345
    response = client.post("/v2/enqueue", json=event)
    assert response.status_code == 400
    assert response.json()["errors"] == ["'routing_key' must be a string (quote it)"]


def test_a_long_webhook_summary_is_cut_visibly_and_kept_whole_in_the_details(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.GENERIC)
    summary = "disk full " + "x" * 1_000_000
    response = client.post(f"/integrations/{key}/generic", json={"summary": summary})
    assert response.json()["opened"] == 1, response.text
    [alert] = alerts_of(session, integration)
    assert len(alert.summary) == 1024 and alert.summary.endswith("…")
    assert alert.summary.startswith("disk full xxx")
    assert alert.raw["summary"] == summary
