"""Silence patterns are RE2: no pattern can freeze the server, and what RE2 cannot run is refused
when the silence is made and matches nothing if it was stored before."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.signals import maintenance
from takepoint.signals.models import IntegrationKind, Silence
from tests.factories import login, make_user
from tests.processes import TakepointProcess
from tests.signals.conftest import alerts_of, make_integration

# 28 a's and a "!" against (a+)+$ took Python's backtracking `re` about ten seconds.
SLOW_PATTERN = "(a+)+$"
SLOW_SUMMARY = "a" * 28 + "!"
UNSUPPORTED = {
    "backreference": r"(txn)-\1",
    "lookahead": r"txn-(?=0)\d+",
    "negative lookahead": r"(?!db).*",
    "lookbehind": r".*(?<=-01)",
    "negative lookbehind": r".*(?<!-01)",
}


def _event(key: str, summary: str, dedup_key: str) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": summary, "source": "txn-01", "severity": "critical"},
    }


def _silence_body(clock: FakeClock, *matchers: dict[str, str]) -> dict[str, object]:
    return {
        "matchers": list(matchers),
        "comment": "known, ticket 4411",
        "expires_at": (clock.now() + timedelta(hours=2)).isoformat(),
    }


def _silences(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Silence)) or 0


def test_it_matches_a_backtracking_pattern_against_slow_input_in_well_under_a_second(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    created = client.post(
        "/api/v1/silences",
        json=_silence_body(clock, {"name": "summary", "op": "=~", "value": SLOW_PATTERN}),
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text

    started = time.monotonic()
    slow = client.post("/v2/enqueue", json=_event(key, SLOW_SUMMARY, "slow"))
    took = time.monotonic() - started
    assert slow.status_code == 202, slow.text
    assert took < 1.0, f"one event took {took:.1f} s to store"
    assert client.post("/v2/enqueue", json=_event(key, "a" * 28, "all-a")).status_code == 202
    unmatched, matched = alerts_of(session, integration)
    assert unmatched.silence_id is None and unmatched.needs_triage
    assert matched.silence_id == created.json()["id"] and not matched.needs_triage


@pytest.mark.parametrize("pattern", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_it_refuses_a_pattern_re2_cannot_run_through_the_api(
    pattern: str, client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    response = client.post(
        "/api/v1/silences",
        json=_silence_body(
            clock,
            {"name": "alertname", "value": "DiskFull"},
            {"name": "instance", "op": "=~", "value": pattern},
        ),
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "matchers"
    assert repr(pattern) in response.json()["detail"]
    assert "RE2" in response.json()["detail"]
    assert _silences(session) == 0


def test_it_refuses_a_pattern_re2_cannot_run_through_the_form(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    form = {
        "csrf_token": csrf,
        "matchers": r"alertname=DiskFull, instance=~txn-(?=0)\d+",
        "comment": "known, ticket 4411",
        "hours": "2",
    }
    page = client.post("/signals/silences", data=form)
    assert page.status_code == 422
    assert "RE2" in page.text and "no lookaround" in page.text
    as_json = client.post("/signals/silences", data=form, headers={"Accept": "application/json"})
    assert as_json.status_code == 422
    assert as_json.json()["field"] == "matchers"
    assert _silences(session) == 0


def test_it_refuses_a_pattern_longer_than_a_thousand_characters(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
    form = {
        "csrf_token": csrf,
        "matchers": "instance=~" + "a" * (maintenance.MAX_PATTERN + 1),
        "comment": "known, ticket 4411",
        "hours": "2",
    }
    response = client.post("/signals/silences", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "matchers"
    assert "longer than 1000 characters" in response.json()["detail"]
    form["matchers"] = "instance=~" + "a" * maintenance.MAX_PATTERN
    assert client.post("/signals/silences", data=form).status_code == 303
    assert _silences(session) == 1


@pytest.mark.parametrize(
    "pattern",
    [UNSUPPORTED["negative lookahead"], "txn-(", "(?x) txn-01"],
    ids=["lookaround", "unbalanced", "python-only flag"],
)
def test_it_lets_a_stored_pattern_re2_cannot_compile_match_nothing(
    pattern: str, client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    # Saved before patterns were checked with RE2: the silence must not hold back every
    # DiskFull alert (as skipping the matcher would), nor fail the event.
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    session.add(
        Silence(
            service_id=None,
            matchers=[
                {"name": "alertname", "op": "=", "value": "DiskFull"},
                {"name": "instance", "op": "=~", "value": pattern},
            ],
            starts_at=clock.now(),
            expires_at=clock.now() + timedelta(hours=2),
            comment="from an older Takepoint",
            created_at=clock.now(),
        )
    )
    session.commit()
    group = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "instance": "txn-01"},
                "annotations": {"summary": "disk /var 96% full on txn-01"},
                "fingerprint": "fp-txn-01",
            }
        ],
    }
    response = client.post(f"/integrations/{key}/alertmanager", json=group)
    assert response.status_code == 200, response.text
    [alert] = alerts_of(session, integration)
    assert alert.silence_id is None
    assert alert.needs_triage


# --- a real server: one sender's input never holds up anyone else's request -------------------


def _arrange_live(db: Database, session: Session, clock: FakeClock, service: Service) -> str:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    now = datetime.now(UTC)  # the server runs on the real clock
    with db.session() as s:
        maintenance.create_silence(
            s,
            matchers=[{"name": "summary", "op": "=~", "value": SLOW_PATTERN}],
            comment="a pattern that backtracks",
            now=now,
            expires_at=now + timedelta(hours=1),
        )
    return key


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, server: TakepointProcess) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            assert server.process.poll() is None, server.output()
            time.sleep(0.1)
    raise AssertionError(f"takepoint web did not start; output:\n{server.output()}")


@pytest.mark.slow
def test_it_keeps_answering_healthz_while_it_matches_slow_input(
    db: Database,
    session: Session,
    clock: FakeClock,
    service: Service,
    tmp_path: Path,
    free_port: int,
) -> None:
    key = _arrange_live(db, session, clock, service)
    server = TakepointProcess(
        ["web", "--host", "127.0.0.1", "--port", str(free_port)],
        env={
            "TAKEPOINT_DATABASE_URL": db.url,
            "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
            "TAKEPOINT_LOG_LEVEL": "WARNING",
        },
        log=tmp_path / "web.log",
    )
    url = f"http://127.0.0.1:{free_port}"
    stop = threading.Event()
    sent = threading.Event()
    answers: list[int] = []

    def send(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=15) as sender:
            for n in range(300):  # bounded, whatever happens
                if stop.is_set():
                    return
                sent.set()
                try:
                    answer = sender.post(
                        "/v2/enqueue", json=_event(key, SLOW_SUMMARY, f"slow-{worker}-{n}")
                    )
                except httpx.HTTPError:
                    return
                answers.append(answer.status_code)

    senders = [threading.Thread(target=send, args=(w,)) for w in range(2)]
    waits: list[float] = []
    try:
        _wait_until_up(url, server)
        for thread in senders:
            thread.start()
        assert sent.wait(10)
        # Three seconds of health checks, each given five; the old freeze lasted ten.
        with httpx.Client(base_url=url, timeout=5) as checker:
            until = time.monotonic() + 3
            while time.monotonic() < until:
                started = time.monotonic()
                with contextlib.suppress(httpx.TimeoutException):
                    checker.get("/healthz")
                waits.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in senders:
            thread.join(30)
        server.stop()

    assert max(waits) < 1.5, f"/healthz waited {max(waits):.1f} s behind another's event"
    assert len(waits) >= 3
    assert answers and set(answers) == {202}, answers
    assert "Traceback" not in server.output()
