from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import AlertState, Integration, IntegrationKind
from takepoint.signals.schemas import HeartbeatSettings
from tests.factories import login, make_user
from tests.signals.conftest import alerts_of, make_integration, make_service


def _trigger(client: TestClient, key: str, dedup_key: str, summary: str, severity: str) -> None:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": summary, "source": "txn-01", "severity": severity},
    }
    assert client.post("/v2/enqueue", json=event).status_code == 202


def test_it_shows_a_new_key_once_with_snippets_that_contain_it(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.ADMIN))
    page = client.post(
        "/signals/integrations",
        data={"service": service.slug, "kind": "alertmanager", "csrf_token": csrf},
    )
    assert page.status_code == 200
    assert "shown this once" in page.text
    [integration] = session.scalars(select(Integration)).all()
    found = re.search(r'id="the-key">([^<]+)<', page.text)
    assert found is not None
    key = found.group(1)
    assert len(key) == 32
    assert f"/integrations/{key}/alertmanager" in page.text
    assert "webhook_configs" in page.text
    again = client.get(f"/signals/integrations/{integration.id}")
    assert key not in again.text
    assert "/integrations/&lt;key&gt;/alertmanager" in again.text


def test_it_creates_rotates_and_deletes_integrations_through_the_api(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.ADMIN))
    headers = {"X-CSRF-Token": csrf}
    created = client.post(
        "/api/v1/integrations",
        json={
            "service": service.slug,
            "kind": "heartbeat",
            "name": "Nightly backup",
            "heartbeat": {"cron": "0 2 * * *", "time_zone": "Europe/London", "kind": "backup"},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url_with_key"].endswith(body["key"])
    assert body["heartbeat"]["schedule"] == "every day at 02:00 Europe/London, grace 1 h"
    listed = client.get("/api/v1/integrations").json()
    assert body["key"] not in str(listed)
    rotated = client.post(
        f"/api/v1/integrations/{body['id']}/rotate", json={"grace_hours": 0}, headers=headers
    ).json()
    assert client.get(f"/ping/{body['key']}").status_code == 404
    assert client.get(f"/ping/{rotated['key']}").text == "OK"
    assert client.delete(f"/api/v1/integrations/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"/ping/{rotated['key']}").status_code == 404


def test_it_lists_and_filters_alerts_and_shows_the_raw_payload(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    other = make_service(session, clock, slug="lab-system")
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    _, other_key = make_integration(session, clock, other, IntegrationKind.PAGERDUTY)
    _trigger(client, key, "disk", "disk /var 96% full", "critical")
    _trigger(client, other_key, "cpu", "cpu hot", "warning")
    login(client, make_user(session, clock, role=Role.VIEWER))
    everything = client.get("/alerts")
    assert "disk /var 96% full" in everything.text and "cpu hot" in everything.text
    only_txn = client.get(f"/alerts?service={service.slug}&severity=critical")
    assert "disk /var 96% full" in only_txn.text and "cpu hot" not in only_txn.text
    api = client.get("/api/v1/alerts", params={"service": other.slug}).json()
    assert [a["summary"] for a in api] == ["cpu hot"]
    alert_id = api[0]["id"]
    page = client.get(f"/alerts/{alert_id}")
    assert "Raw payload" in page.text and "&#34;event_action&#34;: &#34;trigger&#34;" in page.text
    assert ">Acknowledge</button>" not in page.text  # viewers read only


def test_it_lets_a_responder_acknowledge_and_resolve(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    _trigger(client, key, "disk", "disk /var 96% full", "critical")
    [alert] = alerts_of(session, integration)
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    page = client.get(f"/alerts/{alert.id}")
    assert ">Acknowledge</button>" in page.text
    ack = client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf})
    assert ack.status_code == 303
    assert alerts_of(session, integration)[0].state is AlertState.ACKNOWLEDGED
    resolved = client.post(f"/api/v1/alerts/{alert.id}/resolve", headers={"X-CSRF-Token": csrf})
    assert resolved.json()["state"] == "resolved"
    again = client.post(f"/api/v1/alerts/{alert.id}/resolve", headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409


def test_it_shows_a_heartbeat_with_its_schedule_pings_and_durations(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    settings = HeartbeatSettings(cron="0 2 * * *", time_zone="Europe/London", grace_seconds=3600)
    integration, key = make_integration(
        session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=settings
    )
    client.get(f"/ping/{key}/start")
    clock.advance(timedelta(minutes=14))
    client.post(f"/ping/{key}/0", content=b"4.2 GB written")
    login(client, make_user(session, clock, role=Role.VIEWER, time_zone="Europe/London"))
    page = client.get(f"/signals/integrations/{integration.id}")
    assert "every day at 02:00 Europe/London, grace 1 h" in page.text
    assert "14 min" in page.text
    assert "4.2 GB written" in page.text
    assert "(exit 0)" in page.text


def test_it_shows_open_alerts_on_the_home_page(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    login(client, make_user(session, clock, role=Role.VIEWER))
    assert "No open alerts." in client.get("/").text
    _trigger(client, key, "disk", "disk /var 96% full", "critical")
    home = client.get("/").text
    assert "1 open alert" in home and "disk /var 96% full" in home


def test_it_documents_every_signal_endpoint_in_openapi(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/v2/enqueue", "/integrations/{key}/{kind}", "/ping/{key}/{action}"):
        assert "post" in paths[path]
    assert "/api/v1/alerts" in paths and "/api/v1/silences" in paths
