"""Waking engines on any host through PostgreSQL's LISTEN/NOTIFY (`lib/pg_wake.py`)."""

from __future__ import annotations

import gc
import os
import queue
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import make_url

from takepoint.lib.pg_wake import CHANNEL, PgWakeListener, PgWakeSender
from takepoint.lib.registry import Lane

pytestmark = pytest.mark.postgres_only

# Every wait is on an event; this bounds a failing one. The wake-ups themselves take a
# millisecond or two on loopback.
WAIT = 5.0


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Woken:
    """An engine's trigger: what it was woken for, in order, and the thread that woke it."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[frozenset[str] | None, float]] = queue.Queue()
        self.thread: threading.Thread | None = None

    def __call__(self, lanes: frozenset[str] | None) -> None:
        self.thread = threading.current_thread()
        self.calls.put((lanes, time.perf_counter()))

    def next(self) -> frozenset[str] | None:
        lanes, _ = self.next_timed()
        return lanes

    def next_timed(self) -> tuple[frozenset[str] | None, float]:
        try:
            return self.calls.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no wake-up within {WAIT} s") from None


@pytest.fixture
def woken() -> Woken:
    return Woken()


@pytest.fixture
def listener(postgres_url: str, woken: Woken) -> Iterator[PgWakeListener]:
    listening = PgWakeListener(postgres_url, woken)
    listening.start()
    yield listening
    listening.stop()


@pytest.fixture
def sender(postgres_url: str) -> Iterator[PgWakeSender]:
    sending = PgWakeSender(postgres_url)
    yield sending
    sending.close()


@pytest.fixture
def plain(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection of the test's own, in autocommit: each statement is its own transaction."""
    with psycopg.connect(_libpq(postgres_url), autocommit=True) as conn:
        yield conn


def test_it_wakes_a_listener_with_the_lanes_sent(
    listener: PgWakeListener, sender: PgWakeSender, woken: Woken
) -> None:
    sent = time.perf_counter()
    sender({Lane.PAGING})
    lanes, at = woken.next_timed()
    assert lanes == frozenset({"paging"})
    assert at - sent < 1.0  # about a millisecond on loopback; benchmarks/pg_wake.py measures it

    sender([Lane.DELIVERY, Lane.PAGING])
    assert woken.next() == frozenset({"delivery", "paging"})
    sender(None)
    assert woken.next() is None


def test_it_wakes_every_engine_listening(
    postgres_url: str, listener: PgWakeListener, sender: PgWakeSender, woken: Woken
) -> None:
    other = Woken()
    second = PgWakeListener(postgres_url, other)
    second.start()
    try:
        sender({Lane.DELIVERY})
        assert woken.next() == other.next() == frozenset({"delivery"})
    finally:
        second.stop()


def test_a_notify_in_a_rolled_back_transaction_wakes_nobody(
    listener: PgWakeListener, plain: psycopg.Connection[tuple[object, ...]], woken: Woken
) -> None:
    with pytest.raises(RuntimeError), plain.transaction():
        plain.execute("SELECT pg_notify(%s, 'delivery')", (CHANNEL,))
        raise RuntimeError("the request failed")
    plain.execute("SELECT pg_notify(%s, 'paging')", (CHANNEL,))
    # Notifications arrive in commit order, so the rolled-back one would have come first.
    assert woken.next() == frozenset({"paging"})


def test_a_notify_in_a_transaction_wakes_only_after_the_commit(
    postgres_url: str,
    listener: PgWakeListener,
    plain: psycopg.Connection[tuple[object, ...]],
    woken: Woken,
) -> None:
    with psycopg.connect(_libpq(postgres_url)) as request:
        request.execute("SELECT pg_notify(%s, 'delivery')", (CHANNEL,))
        # Sent after it but committed first: had the first been delivered before its commit,
        # it would have come before this one.
        plain.execute("SELECT pg_notify(%s, 'paging')", (CHANNEL,))
        assert woken.next() == frozenset({"paging"})
        request.commit()
        assert woken.next() == frozenset({"delivery"})


def test_it_reconnects_after_its_connection_is_killed_and_wakes_every_lane(
    listener: PgWakeListener,
    sender: PgWakeSender,
    plain: psycopg.Connection[tuple[object, ...]],
    woken: Woken,
) -> None:
    sender({Lane.PAGING})
    assert woken.next() == frozenset({"paging"})
    killed = plain.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'takepoint-wake' AND datname = current_database()"
    ).fetchall()
    assert (True,) in killed

    # The lanes may have had work committed while it was away; it is listening again by then.
    assert woken.next() is None
    sender({Lane.DELIVERY})
    assert woken.next() == frozenset({"delivery"})


def test_the_sender_reconnects_after_its_connection_is_killed(
    listener: PgWakeListener,
    sender: PgWakeSender,
    plain: psycopg.Connection[tuple[object, ...]],
    woken: Woken,
) -> None:
    sender({Lane.PAGING})
    assert woken.next() == frozenset({"paging"})
    plain.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'takepoint-wake-sender' AND datname = current_database()"
    )
    sender({Lane.DELIVERY})
    assert woken.next() == frozenset({"delivery"})


def test_a_sender_that_cannot_connect_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    # Port 1 on loopback refuses at once.
    sender = PgWakeSender("postgresql+psycopg://postgres@127.0.0.1:1/postgres")
    try:
        sender({Lane.PAGING})
        sender({Lane.PAGING})
    finally:
        sender.close()
    assert len([r for r in caplog.records if r.name == "takepoint.lib.pg_wake"]) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "",  # a bare NOTIFY takepoint_wake, as an operator would send from psql
        "paging " * 1000,
        "paging; DROP TABLE alerts",
        "Paging \u00ff\u2603",
    ],
)
def test_a_malformed_payload_wakes_every_lane(
    listener: PgWakeListener,
    plain: psycopg.Connection[tuple[object, ...]],
    woken: Woken,
    payload: str,
) -> None:
    plain.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
    assert woken.next() is None
    plain.execute("SELECT pg_notify(%s, 'paging')", (CHANNEL,))
    assert woken.next() == frozenset({"paging"})


@pytest.fixture
def sql_ascii_url(postgres_url: str) -> Iterator[str]:
    """A database in SQL_ASCII, which stores and sends any bytes, valid characters or not."""
    name = f"takepoint_test_{os.getpid()}_ascii"
    admin = _libpq(postgres_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(
            f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' TEMPLATE template0"
            " LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_payload_of_unreadable_bytes_wakes_every_lane(sql_ascii_url: str, woken: Woken) -> None:
    listener = PgWakeListener(sql_ascii_url, woken)
    listener.start()
    try:
        with psycopg.connect(_libpq(sql_ascii_url), autocommit=True) as conn:
            conn.execute(r"SELECT pg_notify('takepoint_wake', E'pag\xffing')")
            assert woken.next() is None
            conn.execute("SELECT pg_notify('takepoint_wake', 'delivery')")
            assert woken.next() == frozenset({"delivery"})
    finally:
        listener.stop()


def test_an_engine_whose_trigger_fails_keeps_listening(
    postgres_url: str, sender: PgWakeSender, caplog: pytest.LogCaptureFixture
) -> None:
    woken = Woken()
    failures = 0

    def on_wake(lanes: frozenset[str] | None) -> None:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise RuntimeError("the engine is stopping")
        woken(lanes)

    listener = PgWakeListener(postgres_url, on_wake)
    listener.start()
    try:
        sender({Lane.PAGING})
        sender({Lane.DELIVERY})
        assert woken.next() == frozenset({"delivery"})
    finally:
        listener.stop()
    assert "waking the engine failed" in caplog.text


def test_stop_returns_promptly_and_ends_the_thread(
    postgres_url: str, sender: PgWakeSender, woken: Woken
) -> None:
    listener = PgWakeListener(postgres_url, woken)
    listener.start()
    sender({Lane.PAGING})
    assert woken.next() == frozenset({"paging"})
    started = time.perf_counter()
    listener.stop()
    assert time.perf_counter() - started < 1.0
    assert woken.thread is not None
    assert not woken.thread.is_alive()
    still_open = [
        conn
        for conn in gc.get_objects()
        if isinstance(conn, psycopg.Connection)
        and not conn.closed
        and conn.info.get_parameters().get("application_name") == "takepoint-wake"
    ]
    assert still_open == []
