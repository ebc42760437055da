"""Fixtures for signals: a service to attach integrations to, and a live Takepoint."""

from __future__ import annotations

import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.integrations import get_integration
from takepoint.signals.models import Alert, Integration, IntegrationKind
from takepoint.signals.schemas import HeartbeatSettings
from takepoint.signals.service import add_integration
from tests.livesite import LiveServer, serve

_seq = count(1)


def make_service(session: Session, clock: FakeClock, *, slug: str | None = None) -> Service:
    n = next(_seq)
    service = Service(
        slug=slug or f"service-{n}",
        name=f"Service {n}" if slug is None else slug.replace("-", " ").title(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(service)
    session.commit()
    return service


def make_integration(
    session: Session,
    clock: FakeClock,
    service: Service,
    kind: IntegrationKind,
    *,
    field_paths: dict[str, str] | None = None,
    heartbeat: HeartbeatSettings | None = None,
) -> tuple[Integration, str]:
    integration, key = add_integration(
        session,
        service=service,
        kind=kind,
        now=clock.now(),
        field_paths=field_paths,
        heartbeat=heartbeat,
    )
    session.commit()
    return get_integration(session, integration.id), key


def alert_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Alert)) or 0


def alerts_of(session: Session, integration: Integration) -> list[Alert]:
    session.expire_all()
    return list(
        session.scalars(
            select(Alert).where(Alert.integration_id == integration.id).order_by(Alert.id)
        )
    )


@pytest.fixture
def service(session: Session, clock: FakeClock) -> Service:
    return make_service(session, clock, slug="transaction-server")


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    with serve(app) as server:
        yield server


@contextmanager
def serve_tls(app: FastAPI, directory: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    """A live Takepoint over HTTPS on loopback, with a certificate made for this test.

    The official PagerDuty client refuses plain http, as it should; it is given this test's
    certificate authority and nothing else changes.
    """
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-tls-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the TLS server did not start within 10 s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert))
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_tls(app: FastAPI, tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    with serve_tls(app, tmp_path) as server:
        yield server
