from __future__ import annotations

import enum
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event, inspect, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from takepoint.lib.errors import InvalidInput

# How long a SQLite writer waits for another to finish before giving up.
BUSY_TIMEOUT_SECONDS = 10
# The largest id an INTEGER column holds on PostgreSQL: a larger one names nothing.
MAX_ID = 2**31 - 1

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored in UTC on every backend.

    SQLite has no time zone type, so values are stored as naive UTC there and made aware again
    on the way out. Naive values are refused on the way in: their zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(kind: type[enum.Enum], length: int = 32) -> Enum:
    """Enums are stored as their values in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


# How SQLite's commits reach the disk (`TAKEPOINT_SQLITE_SYNCHRONOUS`). In WAL mode both survive
# a killed process. NORMAL syncs only at checkpoints, so a power loss or a kernel crash can drop
# the last commits; FULL syncs the log at every commit, so a commit that was answered is kept.
SYNCHRONOUS = ("full", "normal")


def _sqlite_connect(synchronous: str) -> Callable[[sqlite3.Connection, ConnectionPoolEntry], None]:
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")

    def on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling starts transactions late and never as
        # IMMEDIATE; switch it off so the "begin" hook below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    return on_connect


class TurnLock:
    """A lock that goes to its waiters in the order they came, handed straight to the next.

    `threading.Lock` lets the releasing thread take it straight back, so a thread that writes
    in a loop (the ingest writer in an alert storm) can keep a small, urgent writer (the one
    recording a page as sent) waiting for as long as the storm lasts.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True
        with self._guard:
            if turn in self._waiters:
                self._waiters.remove(turn)
                return False
        return True  # handed over between the timeout and the guard

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()  # still held: now by the next in line
            else:
                self._held = False


class WriterQueue:
    """One SQLite writer at a time within this process, handed over the moment the last commits.

    SQLite's own busy handler polls with sleeps that grow to 100 ms, so three threads that take
    turns at the write lock (the web, the paging lane, the delivery lane) wait far longer than
    the lock is held. This queue lets them wait on a Python lock instead, which wakes the next
    writer at once, in the order they came. Other processes still meet at SQLite's lock, with
    its busy timeout.
    """

    KEY = "takepoint_holds_writer_queue"

    def __init__(self) -> None:
        self._lock = TurnLock()

    def begin(self, conn: Any) -> None:
        # A write transaction takes the lock at BEGIN, so two writers queue instead of failing
        # when a reader tries to become a writer. Read-only sessions stay DEFERRED.
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        if options.get("takepoint_read_only"):
            conn.exec_driver_sql("BEGIN")
            return
        # On a timeout (a thread that nests two write sessions) SQLite's busy timeout decides,
        # as it would without the queue.
        if self._lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            conn.info[self.KEY] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def commit(self, conn: Any) -> None:
        self._finish(conn, "commit")

    def rollback(self, conn: Any) -> None:
        self._finish(conn, "rollback")

    def end(self, conn: Any) -> None:
        if conn.info.pop(self.KEY, False):
            self._lock.release()

    def _finish(self, conn: Any, how: str) -> None:
        # These events come just before SQLAlchemy commits or rolls back. Finishing the
        # transaction here lets the next writer in only once SQLite's lock is free (else its
        # BEGIN IMMEDIATE meets the busy handler after all); SQLAlchemy's own call that follows
        # then finds no transaction and does nothing. Should this one fail, that call repeats
        # it and reports the error as usual.
        if not conn.info.get(self.KEY):
            return
        try:
            getattr(conn.connection.dbapi_connection, how)()
        except Exception:  # noqa: BLE001 (SQLAlchemy's own call repeats it and reports)
            pass
        finally:
            self.end(conn)

    def checkin(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # A connection that went back to the pool without a commit or rollback event.
        if record.info.pop(self.KEY, False):
            self._lock.release()


def build_engine(url: str, *, echo: bool = False, synchronous: str = "full") -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
            pool_size=8,
            max_overflow=8,
        )
        event.listen(engine, "connect", _sqlite_connect(synchronous))
        writers = WriterQueue()
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "commit", writers.commit)
        event.listen(engine, "rollback", writers.rollback)
        event.listen(engine.pool, "checkin", writers.checkin)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


_TRANSACTION_CACHE = "takepoint_transaction_cache"


def transaction_cache(session: Session, name: str) -> dict[Any, Any]:
    """A dict that lives as long as the session's current transaction: for what a transaction
    has itself read or written and would otherwise ask the database again. Emptied when the
    transaction or any savepoint in it ends, so nothing outlives what it describes."""
    caches: dict[str, dict[Any, Any]] = session.info.setdefault(_TRANSACTION_CACHE, {})
    return caches.setdefault(name, {})


@event.listens_for(Session, "before_flush")
def _refuse_nul(session: Session, context: Any, instances: Any) -> None:
    """A NUL character in any text about to be written is refused, naming its field.

    PostgreSQL cannot store one in a text column, and SQLite would keep what no page can show,
    so a title or a note with one is refused the same on both, before anything is written.
    Text that machines send (alert payloads, mail, delivery errors) is cleaned where it comes
    in; what reaches here came from a person.
    """
    for row in (*session.new, *session.dirty):
        state = inspect(row)
        # Of a row read back, only what changed: an old value must not block every update.
        changed = None if state.key is None else state.committed_state
        for attribute in state.mapper.column_attrs:
            if changed is not None and attribute.key not in changed:
                continue
            value = state.dict.get(attribute.key)
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput(
                    f"{attribute.key.replace('_', ' ')} may not contain a NUL character",
                    field=attribute.key,
                )


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction_cache(session: Session, transaction: SessionTransaction) -> None:
    # A flush runs in a subtransaction of its own; its end changes nothing that was cached.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_TRANSACTION_CACHE, None)


def is_postgresql(session: Session) -> bool:
    """Whether this session writes to PostgreSQL, where concurrent writers meet at row locks
    (which a claim can skip), rather than to SQLite, where they take turns at BEGIN IMMEDIATE."""
    return session.get_bind().dialect.name == "postgresql"


def rowcount(result: Any) -> int:
    """Rows touched by an UPDATE or DELETE (typed loosely by SQLAlchemy, so checked here)."""
    count = getattr(result, "rowcount", 0)
    return int(count) if count and count > 0 else 0


class Database:
    """The engine plus session factories: one unit of work per request or engine job."""

    def __init__(self, url: str, *, echo: bool = False, synchronous: str = "full") -> None:
        self.url = url
        self.engine = build_engine(url, echo=echo, synchronous=synchronous)
        self.dialect = self.engine.dialect.name
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(
            self.engine.execution_options(takepoint_read_only=True), expire_on_commit=False
        )
        self._autocommit = sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    def new_session(self, *, read_only: bool = False) -> Session:
        session = (self._read if read_only else self._write)()
        session.info["read_only"] = read_only
        return session

    def autocommit_session(self) -> Session:
        """Every statement commits by itself and no lock is held between them.

        For tests and tools that watch a running Takepoint: they always see the latest state
        and never block the app's writers.
        """
        return self._autocommit()

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        session = self.new_session(read_only=read_only)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
