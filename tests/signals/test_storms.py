"""Under a storm Takepoint says "slow down" (429 with Retry-After) instead of falling over."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import IntegrationKind
from takepoint.signals.ratelimit import Limits
from takepoint.signals.writer import GroupWriter
from tests.signals.conftest import alert_count, make_integration


def _event(key: str, n: int) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": f"storm-{n}",
        "payload": {"summary": f"storm {n}", "source": "x", "severity": "info"},
    }


def test_it_throttles_one_key_like_pagerduty_and_spares_the_others(
    app: FastAPI, client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    app.state.signal_limits = {"events": Limits(per_second=0.001, burst=3)}
    _, noisy = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    _, quiet = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    codes = [client.post("/v2/enqueue", json=_event(noisy, n)).status_code for n in range(5)]
    assert codes == [202, 202, 202, 429, 429]
    throttled = client.post("/v2/enqueue", json=_event(noisy, 9))
    assert throttled.json()["status"] == "throttle event"
    assert int(throttled.headers["retry-after"]) >= 1
    assert client.post("/v2/enqueue", json=_event(quiet, 1)).status_code == 202
    assert alert_count(session) == 4


def test_it_refuses_at_once_when_the_write_queue_is_full(
    app: FastAPI, client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    app.state.signal_writer = GroupWriter(
        db=app.state.db, context=app.state.context, on_commit=lambda lanes: None, max_items=0
    )
    response = client.post(f"/integrations/{key}/alertmanager", json={"alerts": []})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    pd = client.post("/v2/enqueue", json=_event("k" * 32, 1))
    assert (pd.status_code, pd.json()["status"]) == (429, "throttle event")
    assert alert_count(session) == 0
