from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.factories import make_engine


def test_it_exposes_request_and_engine_metrics(
    app: FastAPI, client: TestClient, db: Database, clock: FakeClock
) -> None:
    engine = make_engine(db, app.state.context, worker_id="w1", metrics=app.state.metrics)
    engine.run_cycle()
    client.get("/login")
    client.get("/api/v1/users/7")
    body = client.get("/metrics").text
    assert 'takepoint_http_requests_total{method="GET",route="/login",status="200"} 1.0' in body
    assert 'route="/api/v1/users/{user_id}",status="401"' in body
    assert 'takepoint_engine_cycle_duration_seconds_count{lane="paging"} 1.0' in body
    assert 'takepoint_engine_cycle_duration_seconds_count{lane="delivery"} 1.0' in body
    assert 'takepoint_engine_job_duration_seconds_count{job="tasks"} 1.0' in body
    assert 'takepoint_engine_last_cycle_age_seconds{worker="w1"} 0.0' in body
