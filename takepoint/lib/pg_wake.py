"""Waking engines on any host through PostgreSQL's LISTEN/NOTIFY.

`lib/wake.py` reaches only the engines on the sender's host. On PostgreSQL every engine already
talks to the same database, so each one keeps a connection of its own that LISTENs on
`takepoint_wake`, and a web process NOTIFYs the lanes with new work there, right after its
commit. A NOTIFY is delivered only when its transaction commits (a rolled-back one wakes
nobody), which is why the sender notifies on a connection of its own after the commit rather
than inside the request's transaction: the engine must be able to see the work it is woken for.

Like the datagram, a notification is a hint: if it is lost (a listener reconnecting, the sender
failing), the tick still finds the work. A listener that lost its connection wakes every lane
once it is back, for what arrived while it was away.

LISTEN needs a session of its own: through PgBouncer in transaction mode, notifications do not
arrive, and the engine falls back to its ticks.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Collection
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import make_url

log = logging.getLogger(__name__)

CHANNEL = "takepoint_wake"
_ALL = "*"
# PostgreSQL refuses payloads of 8000 bytes or more; lane names are a few words.
_MAX_PAYLOAD = 1000
_LANE = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_NOTIFY = "SELECT pg_notify(%s, %s)"
_LISTEN = f"LISTEN {CHANNEL}"

# How often the listener looks up from its socket to see whether stop() was called.
_POLL_SECONDS = 0.2
_FIRST_BACKOFF = 0.1
_MAX_BACKOFF = 5.0
_COMPLAIN_SECONDS = 60.0
# The URL's own values win. Keepalives let a listener notice a host that vanished without
# closing the connection (a network cut) within about a minute instead of never.
_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def _conninfo(url: str, application_name: str) -> str:
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    params = {**_DEFAULTS, **conninfo_to_dict(libpq), "application_name": application_name}
    return make_conninfo(**params)


def _encode(lanes: Collection[str] | None) -> str:
    payload = _ALL if lanes is None else " ".join(sorted(lanes))
    return payload if len(payload) <= _MAX_PAYLOAD else _ALL


def _decode(payload: str) -> frozenset[str] | None:
    """The lanes a payload names; None (every lane) for `*`, for a bare `NOTIFY takepoint_wake`
    and for anything that is not a short list of lane names."""
    if len(payload) > _MAX_PAYLOAD:
        return None
    names = payload.split()
    if not names or _ALL in names or not all(_LANE.fullmatch(name) for name in names):
        return None
    return frozenset(names)


class _Complainer:
    """Logs a failure at most once a minute: a lost wake-up costs at most one tick."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._last = -_COMPLAIN_SECONDS

    def __call__(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last >= _COMPLAIN_SECONDS:
            self._last = now
            log.warning("%s (the tick finds new work): %s", self.what, exc)


class PgWakeSender:
    """What a web process calls after a commit that left work for an engine. It never raises:
    a failed NOTIFY is logged and the engines' ticks find the work."""

    def __init__(self, url: str) -> None:
        self._conninfo = _conninfo(url, "takepoint-wake-sender")
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._closed = False
        self._complain = _Complainer("waking engines through PostgreSQL failed")

    def __call__(self, lanes: Collection[str] | None = None) -> None:
        if lanes is not None and not lanes:
            return
        payload = _encode(lanes)
        with self._lock:
            if self._closed:
                return
            try:
                self._notify(payload)
            except psycopg.Error as exc:
                self._drop()
                self._complain(exc)

    def _notify(self, payload: str) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(_NOTIFY, (CHANNEL, payload))
                return
            except psycopg.OperationalError:
                # The connection was lost since the last call (a restart, an idle timeout):
                # one fresh connection, and only one, before giving up.
                self._drop()
        self._conn = psycopg.connect(self._conninfo, autocommit=True)
        # An app whose lifespan never ran (a test client used without `with`) never calls
        # close(); its connection still closes when the sender is collected.
        weakref.finalize(self, self._conn.close)
        self._conn.execute(_NOTIFY, (CHANNEL, payload))

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        # Later calls do nothing rather than open a connection nobody would close.
        with self._lock:
            self._closed = True
            self._drop()


class PgWakeListener:
    """An engine's LISTEN connection, on a thread of its own: each notification calls `on_wake`
    with the lanes it names, or None for every lane."""

    def __init__(self, url: str, on_wake: Callable[[frozenset[str] | None], None]) -> None:
        self._conninfo = _conninfo(url, "takepoint-wake")
        self._on_wake = on_wake
        self._stopping = threading.Event()
        self._tried = threading.Event()
        self._complain = _Complainer("listening for engine wake-ups failed")
        self._thread = threading.Thread(target=self._run, name="engine-pg-wake", daemon=True)

    def start(self) -> None:
        """Starts the thread and waits for its first connection attempt, so that, unless the
        database was unreachable, every NOTIFY committed after start() returns reaches it."""
        self._thread.start()
        self._tried.wait(_DEFAULTS["connect_timeout"] + 1)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the engine's wake-up listener did not stop within %.1f s", timeout)

    def _run(self) -> None:
        backoff = _FIRST_BACKOFF
        away = False  # set once a connection failed or was lost: wake everything on return
        while not self._stopping.is_set():
            connected_at = time.monotonic()
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(_LISTEN)
                    self._tried.set()
                    if away:
                        self._wake(None)
                    self._listen(conn)
            except psycopg.Error as exc:
                if self._stopping.is_set():
                    return
                self._complain(exc)
            finally:
                self._tried.set()
            away = True
            # A connection that held for a while starts the backoff again; one that fails at
            # once (a database restarting, refusing connections) waits longer each time.
            if time.monotonic() - connected_at > _MAX_BACKOFF:
                backoff = _FIRST_BACKOFF
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, _MAX_BACKOFF)

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stopping.is_set():
            try:
                for notify in conn.notifies(timeout=_POLL_SECONDS):
                    self._wake(_decode(notify.payload))
            except UnicodeDecodeError:
                # Bytes the client encoding cannot read (a SQL_ASCII database lets anything
                # through): the notification is consumed, the connection still good.
                self._wake(None)

    def _wake(self, lanes: frozenset[str] | None) -> None:
        try:
            self._on_wake(lanes)
        except Exception:  # the thread must outlive one bad trigger
            log.exception("waking the engine failed")
