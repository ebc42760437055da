"""The machine ingest endpoints are served ahead of the router; nobody outside may notice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import IntegrationKind
from tests.ops.test_metrics import PROMETHEUS
from tests.signals.conftest import make_integration


def _group(fingerprint: str) -> dict[str, object]:
    return {
        "version": "4",
        "status": "firing",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "DiskFull"}, "fingerprint": fingerprint}
        ],
    }


def test_it_counts_ingest_requests_by_route_in_metrics(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, pd_key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    _, am_key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    payload = {"summary": "disk full", "source": "txn-01", "severity": "critical"}
    event = {"routing_key": pd_key, "event_action": "trigger", "payload": payload}
    assert client.post("/v2/enqueue", json=event).status_code == 202
    assert client.post("/v2/enqueue", json={"routing_key": 5}).status_code == 400
    hook = client.post(f"/integrations/{am_key}/alertmanager", json=_group("f1"))
    assert hook.status_code == 200
    ping = client.get("/ping/00000000-0000-4000-8000-000000000000")
    assert ping.status_code == 404
    body = TestClient(client.app, client=PROMETHEUS).get("/metrics").text
    assert 'method="POST",route="/v2/enqueue",status="202"} 1.0' in body
    assert 'method="POST",route="/v2/enqueue",status="400"} 1.0' in body
    assert 'method="POST",route="/integrations/{key}/{kind}",status="200"} 1.0' in body
    assert 'method="GET",route="/ping/{key}",status="404"} 1.0' in body


def test_it_answers_a_webhook_exactly_as_the_router_does(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    # The key-in-URL webhook takes the shortcut; the Bearer-key one still goes through the
    # router. Their answers must be the same, for stored groups and for refused ones.
    _, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    bearer = {"Authorization": f"Bearer {key}"}
    refused: list[dict[str, object]] = [
        {"version": "4", "alerts": [{"status": "x"}]},
        {"alerts": 3},
    ]
    pairs = [(_group("a"), _group("b")), *((body, body) for body in refused)]
    for first, second in pairs:
        fast = client.post(f"/integrations/{key}/alertmanager", json=first)
        routed = client.post("/integrations/alertmanager", json=second, headers=bearer)
        assert (fast.status_code, fast.json()) == (routed.status_code, routed.json())
        assert fast.headers["content-type"] == routed.headers["content-type"]
    oversized = b"{" + b" " * (6 * 1024 * 1024) + b"}"
    fast = client.post(f"/integrations/{key}/alertmanager", content=oversized)
    routed = client.post("/integrations/alertmanager", content=oversized, headers=bearer)
    assert fast.status_code == routed.status_code == 413
    assert fast.json() == routed.json()


def test_it_leaves_other_methods_and_shapes_to_the_router(client: TestClient) -> None:
    assert client.get("/v2/enqueue").status_code == 405
    assert client.head("/ping/00000000-0000-4000-8000-000000000000").status_code == 404
    wrong_kind = client.post("/integrations/somekey/nagios", json={})
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["field"] == "kind"
