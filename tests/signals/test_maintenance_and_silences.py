from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import IntegrationKind
from tests.factories import login, make_user
from tests.signals.conftest import alerts_of, make_integration


def _disk(key: str, instance: str = "txn-01") -> dict[str, object]:
    return {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "instance": instance},
                "annotations": {"summary": f"disk /var 96% full on {instance}"},
                "fingerprint": f"fp-{instance}",
            }
        ],
    }


def test_it_records_alerts_during_maintenance_without_escalating_them(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    responder = make_user(session, clock, role=Role.RESPONDER)
    csrf = login(client, responder)
    response = client.post(
        "/api/v1/maintenance",
        json={"service": service.slug, "reason": "disk swap", "duration_minutes": 60},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    client.post(f"/integrations/{key}/alertmanager", json=_disk(key))
    clock.advance(timedelta(minutes=61))
    client.post(f"/integrations/{key}/alertmanager", json=_disk(key, "txn-02"))
    during, after = alerts_of(session, integration)
    assert during.during_maintenance and not during.needs_triage
    assert not after.during_maintenance and after.needs_triage
    page = client.get("/alerts")
    assert "during maintenance" in page.text


def test_it_plans_a_window_that_only_counts_once_it_starts(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    starts = clock.now() + timedelta(hours=2)
    response = client.post(
        "/api/v1/maintenance",
        json={
            "service": service.slug,
            "reason": "planned upgrade",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201
    client.post(f"/integrations/{key}/alertmanager", json=_disk(key))
    [alert] = alerts_of(session, integration)
    assert not alert.during_maintenance


def test_it_silences_matching_alerts_until_the_silence_expires(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    response = client.post(
        "/api/v1/silences",
        json={
            "matchers": [
                {"name": "alertname", "value": "DiskFull"},
                {"name": "instance", "op": "=~", "value": "txn-0[12]"},
            ],
            "comment": "known, ticket 4411",
            "expires_at": (clock.now() + timedelta(hours=2)).isoformat(),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    for instance in ("txn-01", "txn-03"):
        client.post(f"/integrations/{key}/alertmanager", json=_disk(key, instance))
    clock.advance(timedelta(hours=2))
    client.post(f"/integrations/{key}/alertmanager", json=_disk(key, "txn-02"))
    silenced, other, expired = alerts_of(session, integration)
    assert silenced.silence_id is not None and not silenced.needs_triage
    assert other.silence_id is None
    assert expired.silence_id is None


def test_it_refuses_a_bad_matcher_and_a_naive_time(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    bad_regex = client.post(
        "/api/v1/silences",
        json={
            "matchers": [{"name": "instance", "op": "=~", "value": "("}],
            "comment": "x",
            "expires_at": (clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert bad_regex.status_code == 422
    assert bad_regex.json()["field"] == "matchers"
    naive = client.post(
        "/api/v1/maintenance",
        json={"service": service.slug, "reason": "x", "ends_at": "2026-03-02T12:00:00"},
        headers={"X-CSRF-Token": csrf},
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "ends_at"


def test_it_lets_viewers_read_but_not_silence(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.VIEWER))
    assert client.get("/signals/maintenance").status_code == 200
    response = client.post(
        "/api/v1/silences",
        json={
            "matchers": [{"name": "alertname", "value": "DiskFull"}],
            "comment": "x",
            "expires_at": (clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403
