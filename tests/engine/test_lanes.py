"""The running engine hands work from lane to lane at once, and SQLite writers take turns."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from takepoint.engine.loop import Engine
from takepoint.engine.models import EngineHeartbeat
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database, TurnLock
from takepoint.lib.settings import Settings
from takepoint.notify.models import Urgency
from tests.factories import db_context, make_engine
from tests.incidents.world import World, build_world
from tests.notify.receivers import SmtpReceiver, smtp_server

__all__ = ["smtp_server"]

# Far longer than the test waits: only a wake-up from the lane that queued the page can
# deliver it in time.
TICK_SECONDS = 600.0


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


@pytest.fixture
def running_engine(
    db: Database, clock: FakeClock, settings: Settings, smtp_server: SmtpReceiver
) -> Iterator[Engine]:
    mail = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    engine = make_engine(db, db_context(db), settings=mail, tick_seconds=TICK_SECONDS)
    stop = threading.Event()
    thread = threading.Thread(target=engine.run, args=(stop,))
    thread.start()
    # Both lanes have run their first cycle (each writes a heartbeat) and sleep for the tick.
    deadline = time.monotonic() + 10
    while _heartbeats(db) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield engine
    finally:
        stop.set()
        engine.trigger()
        thread.join(10)


def _heartbeats(db: Database) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(EngineHeartbeat)) or 0


def test_a_page_queued_by_the_paging_lane_wakes_the_delivery_lane(
    db: Database,
    clock: FakeClock,
    world: World,
    running_engine: Engine,
    smtp_server: SmtpReceiver,
) -> None:
    with db.session() as s:
        incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="Theatre booking down",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        )
    # What a request does after its commit: wake the lane the new work is for.
    running_engine.trigger({"paging"})
    smtp_server.wait_for(1)
    assert [r for m in smtp_server.mails for r in m.recipients] == ["sam@example.org"]


def test_the_turn_lock_goes_to_waiters_in_the_order_they_came() -> None:
    lock = TurnLock()
    assert lock.acquire(timeout=1)
    order: list[str] = []

    def take(name: str) -> None:
        assert lock.acquire(timeout=10)
        order.append(name)
        lock.release()

    threads = []
    for name in ("first", "second", "third"):
        thread = threading.Thread(target=take, args=(name,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 10
        while lock.waiting < len(threads) and time.monotonic() < deadline:
            time.sleep(0.001)
    # The holder takes it straight back: it must queue behind the three.
    lock.release()
    assert lock.acquire(timeout=10)
    order.append("holder again")
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == ["first", "second", "third", "holder again"]


def test_a_turn_lock_wait_can_time_out_and_leaves_the_queue() -> None:
    lock = TurnLock()
    assert lock.acquire(timeout=1)
    assert not lock.acquire(timeout=0.01)
    assert lock.waiting == 0
    lock.release()
    assert lock.acquire(timeout=0)
    lock.release()


def test_threads_writing_to_sqlite_at_once_all_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/writers.db")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    failures: list[BaseException] = []

    def write(rounds: int) -> None:
        for round_ in range(rounds):
            try:
                with db.session() as s:
                    s.execute(text("UPDATE counter SET n = n + 1"))
                    if round_ % 7 == 0:
                        raise LookupError("rolled back on purpose")
            except LookupError:
                pass
            except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
                failures.append(exc)

    threads = [threading.Thread(target=write, args=(70,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with db.session(read_only=True) as s:
        total = s.scalar(text("SELECT n FROM counter"))
    db.dispose()
    assert failures == []
    assert total == 4 * 60  # every seventh round of each thread rolled back
