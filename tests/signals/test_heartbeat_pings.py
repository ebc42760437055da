from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.engine import heartbeats as heartbeat_job
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.signals.heartbeats import recent_pings
from takepoint.signals.models import (
    AlertState,
    HeartbeatStatus,
    Integration,
    IntegrationKind,
    PingKind,
)
from takepoint.signals.schemas import HeartbeatSettings
from tests.signals.conftest import alerts_of, make_integration

HOURLY = HeartbeatSettings(period_seconds=3600, grace_seconds=600)


def _heartbeat(
    session: Session, clock: FakeClock, service: Service, **settings: int
) -> tuple[Integration, str]:
    wanted = HOURLY.model_copy(update=settings)
    return make_integration(session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=wanted)


def test_it_measures_the_run_from_start_to_success(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = _heartbeat(session, clock, service)
    assert client.post(f"/ping/{key}/start").text == "OK"
    clock.advance(timedelta(minutes=3, seconds=20))
    assert client.post(f"/ping/{key}", content=b"dumped 4.2 GB").text == "OK"
    session.expire_all()
    heartbeat = integration.heartbeat
    assert heartbeat is not None
    assert heartbeat.status is HeartbeatStatus.UP
    assert heartbeat.last_duration_seconds == 200
    success, start = recent_pings(session, heartbeat_id=heartbeat.id)
    assert (start.kind, success.kind) == (PingKind.START, PingKind.SUCCESS)
    assert success.body == "dumped 4.2 GB"
    assert success.duration_seconds == 200


def test_it_alerts_when_a_started_run_does_not_finish_within_the_grace(
    client: TestClient, db: Database, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = _heartbeat(session, clock, service)
    client.get(f"/ping/{key}")
    clock.advance(timedelta(minutes=5))
    client.get(f"/ping/{key}/start")
    with db.session() as work:
        assert heartbeat_job.run_once(work, clock.now() + timedelta(minutes=9)) == 0
    with db.session() as work:
        assert heartbeat_job.run_once(work, clock.now() + timedelta(minutes=10)) == 1
    [alert] = alerts_of(session, integration)
    assert "did not finish within 10 min" in alert.summary


def test_it_alerts_on_failure_only_after_n_in_a_row_and_resolves_on_success(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = _heartbeat(session, clock, service, failures_before_alert=3)
    assert client.get(f"/ping/{key}/fail").text == "OK"
    assert client.get(f"/ping/{key}/0").text == "OK"  # a success resets the count
    client.get(f"/ping/{key}/fail")
    client.get(f"/ping/{key}/2")
    assert alerts_of(session, integration) == []
    client.get(f"/ping/{key}/3")
    [alert] = alerts_of(session, integration)
    assert alert.summary.endswith("failed (exit status 3, 3 times in a row)")
    client.get(f"/ping/{key}")
    assert alerts_of(session, integration)[0].state is AlertState.RESOLVED


def test_it_logs_without_changing_anything_and_keeps_100_kb_of_body(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = _heartbeat(session, clock, service)
    big = b"x" * (150 * 1024)
    assert client.post(f"/ping/{key}/log", content=big).text == "OK"
    session.expire_all()
    assert integration.heartbeat is not None
    assert integration.heartbeat.status is HeartbeatStatus.NEW
    [ping] = recent_pings(session, heartbeat_id=integration.heartbeat.id)
    assert len(ping.body) == 100 * 1024
    assert ping.body_truncated


def test_it_answers_unknown_and_malformed_uuids_the_same_way(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = _heartbeat(session, clock, service)
    unknown = client.get(f"/ping/{uuid.uuid4()}")
    malformed = client.get("/ping/not-a-uuid")
    assert (unknown.status_code, unknown.text) == (404, "not found")
    assert (malformed.status_code, malformed.text) == (404, "not found")
    assert unknown.headers["content-type"] == malformed.headers["content-type"]
    assert client.get(f"/ping/{key}/256").status_code == 400
    assert client.head(f"/ping/{key}").status_code == 200


def test_it_needs_no_sign_in_and_no_csrf_token(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = _heartbeat(session, clock, service)
    client.cookies.set("tp_session", "stale-browser-cookie")
    assert client.post(f"/ping/{key}/start").status_code == 200
