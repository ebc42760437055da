"""Real `takepoint engine` processes killed with SIGKILL while paging for 200 incidents."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Notification, NotificationState, Urgency
from tests.incidents.world import build_world
from tests.notify.receivers import SmtpReceiver
from tests.processes import TakepointProcess

pytestmark = pytest.mark.slow

INCIDENTS = 200
LEASE_SECONDS = 3


def _open_incidents(db: Database, session: Session, clock: FakeClock) -> None:
    world = build_world(session, clock)
    now = datetime.now(UTC)  # the engines run on the real clock
    with db.session() as s:
        service = s.merge(world.app_server)
        for n in range(INCIDENTS):
            incidents.open_incident(
                s,
                service=service,
                title=f"Storm {n}",
                urgency=Urgency.HIGH,
                source=IncidentSource.WEB,
                now=now,
            )


def _pages(db: Database) -> tuple[set[str], int]:
    with db.session(read_only=True) as s:
        keys = set(s.scalars(select(Notification.key)))
        unsent = (
            s.scalar(select(func.count()).where(Notification.state != NotificationState.SENT)) or 0
        )
    return keys, unsent


def _env(db: Database, smtp: SmtpReceiver, tmp_path: Path) -> dict[str, str]:
    return {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
        "TAKEPOINT_ENGINE_TICK_SECONDS": "0.1",
        "TAKEPOINT_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "TAKEPOINT_SMTP_HOST": smtp.host,
        "TAKEPOINT_SMTP_PORT": str(smtp.port),
    }


def _wait_until_done(db: Database, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys, unsent = _pages(db)
        if len(keys) >= INCIDENTS and unsent == 0:
            return
        time.sleep(0.2)


def test_it_pages_every_incident_exactly_once_by_key_through_repeated_sigkills(
    db: Database, session: Session, clock: FakeClock, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    smtp_server.delay = 0.01
    _open_incidents(db, session, clock)
    env = _env(db, smtp_server, tmp_path)
    rng = random.Random(20261121)
    kills = sorted(rng.sample(range(5, INCIDENTS - 20), 4))
    for n, threshold in enumerate(kills):
        engine = TakepointProcess(["engine"], env=env, log=tmp_path / f"engine{n}.log")
        deadline = time.monotonic() + LEASE_SECONDS + 60
        try:
            while len(smtp_server.mails) < threshold:
                assert time.monotonic() < deadline, engine.output()
                time.sleep(0.002)
        finally:
            engine.kill()
    survivor = TakepointProcess(["engine"], env=env, log=tmp_path / "survivor.log")
    try:
        _wait_until_done(db, timeout=LEASE_SECONDS + 60)
    finally:
        assert survivor.stop() == 0, survivor.output()

    keys, unsent = _pages(db)
    assert unsent == 0
    assert len(keys) == INCIDENTS  # one page per incident: escalation never ran twice
    received = smtp_server.by_key()
    assert set(received) == keys
    # Only a kill between a send and its record repeats a message, with the same key.
    assert sum(received.values()) - len(received) <= len(kills)


def test_it_loses_and_doubles_nothing_when_one_of_two_engines_dies(
    db: Database, session: Session, clock: FakeClock, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    smtp_server.delay = 0.01
    _open_incidents(db, session, clock)
    env = _env(db, smtp_server, tmp_path)
    doomed = TakepointProcess(["engine"], env=env, log=tmp_path / "doomed.log")
    steady = TakepointProcess(["engine"], env=env, log=tmp_path / "steady.log")
    try:
        deadline = time.monotonic() + 60
        while len(smtp_server.mails) < INCIDENTS // 3:
            assert time.monotonic() < deadline, doomed.output() + steady.output()
            time.sleep(0.002)
        doomed.kill()
        _wait_until_done(db, timeout=LEASE_SECONDS + 60)
    finally:
        assert steady.stop() == 0, steady.output()
    keys, unsent = _pages(db)
    assert (len(keys), unsent) == (INCIDENTS, 0)
    received = smtp_server.by_key()
    assert set(received) == keys
    assert sum(received.values()) - len(received) <= 1
