"""Nothing accepted is lost: a real server is killed with SIGKILL while events pour in."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from takepoint.catalog.models import Service
from takepoint.lib.db import Database
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import Alert, IntegrationKind

TAKEPOINT = str(Path(sys.executable).with_name("takepoint"))
LOADERS = 6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prepare(database: Database) -> str:
    now = datetime.now(UTC)
    with database.session() as session:
        service = Service(slug="txn", name="Transaction server", created_at=now, updated_at=now)
        session.add(service)
        session.flush()
        _, key = create_integration(
            session, service=service, kind=IntegrationKind.PAGERDUTY, now=now
        )
    return key


@pytest.mark.slow
def test_it_keeps_every_event_it_answered_202_after_sigkill(db: Database, tmp_path: Path) -> None:
    # On both databases: SQLite's group commit and PostgreSQL's both answer 202 only after
    # the commit.
    key = _prepare(db)
    port = _free_port()
    env = {
        **os.environ,
        "TAKEPOINT_DATA_DIR": str(tmp_path),
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [TAKEPOINT, "web", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    accepted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("takepoint web did not start") from None
                time.sleep(0.1)

        def load(worker: int) -> None:
            with httpx.Client(base_url=url, timeout=5) as client:
                for n in range(5000):  # bounded even if the kill never came
                    if stop.is_set():
                        return
                    dedup_key = f"w{worker}-{n}"
                    event = {
                        "routing_key": key,
                        "event_action": "trigger",
                        "dedup_key": dedup_key,
                        "payload": {"summary": f"event {n}", "source": "load", "severity": "info"},
                    }
                    try:
                        response = client.post("/v2/enqueue", json=event)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if response.status_code == 202:
                        with lock:
                            accepted.append(dedup_key)

        threads = [threading.Thread(target=load, args=(w,)) for w in range(LOADERS)]
        for thread in threads:
            thread.start()
        while len(accepted) < 500 and time.monotonic() < deadline + 20:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        stop.set()
        for thread in threads:
            thread.join(10)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
            server.wait(10)

    assert len(accepted) >= 500
    with db.session(read_only=True) as session:
        stored = set(session.scalars(select(Alert.dedup_key)))
    missing = [k for k in accepted if k not in stored]
    assert missing == [], f"{len(missing)} of {len(accepted)} acknowledged events were lost"
