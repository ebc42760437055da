from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from tests.factories import make_engine

# Prometheus on the same host: loopback, which /metrics serves by default.
PROMETHEUS = ("127.0.0.1", 9090)


def test_it_exposes_request_and_engine_metrics(
    app: FastAPI, client: TestClient, db: Database, clock: FakeClock
) -> None:
    engine = make_engine(db, app.state.context, worker_id="w1", metrics=app.state.metrics)
    engine.run_cycle()
    client.get("/login")
    client.get("/api/v1/users/7")
    body = TestClient(app, client=PROMETHEUS).get("/metrics").text
    assert 'takepoint_http_requests_total{method="GET",route="/login",status="200"} 1.0' in body
    assert 'route="/api/v1/users/{user_id}",status="401"' in body
    assert 'takepoint_engine_cycle_duration_seconds_count{lane="paging"} 1.0' in body
    assert 'takepoint_engine_cycle_duration_seconds_count{lane="delivery"} 1.0' in body
    assert 'takepoint_engine_job_duration_seconds_count{job="tasks"} 1.0' in body
    assert 'takepoint_engine_last_cycle_age_seconds{worker="w1"} 0.0' in body


def test_other_addresses_are_refused_naming_the_settings(app: FastAPI) -> None:
    response = TestClient(app, client=("203.0.113.7", 50000)).get("/metrics")
    assert response.status_code == 403
    assert "TAKEPOINT_METRICS_ALLOW" in response.text and "TAKEPOINT_METRICS_TOKEN" in response.text


def test_an_allowed_network_or_the_token_may_scrape(app: FastAPI, settings: Settings) -> None:
    app.state.settings = settings.model_copy(
        update={"metrics_allow": "10.0.0.0/8", "metrics_token": SecretStr("scrape-secret")}
    )
    assert TestClient(app, client=("10.1.2.3", 50000)).get("/metrics").status_code == 200
    outside = TestClient(app, client=("203.0.113.7", 50000))
    assert outside.get("/metrics").status_code == 401
    wrong = outside.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = outside.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert right.status_code == 200 and "takepoint_http_requests_total" in right.text
    # Loopback is no longer allowed once the list leaves it out.
    assert TestClient(app, client=PROMETHEUS).get("/metrics").status_code == 401


def test_a_network_that_is_none_is_refused_when_starting() -> None:
    with pytest.raises(ValidationError, match="not a network"):
        Settings(metrics_allow="10.0.0.0/8, the office")
