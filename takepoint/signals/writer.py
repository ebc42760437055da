"""Group commit for machine endpoints: many requests, one transaction, every answer after it.

A request parses and validates its body on the event loop, then hands a unit of work to this
writer and waits. One thread takes every unit that is waiting, runs each inside its own
savepoint and commits them together; only then does each request get its answer. So a 2xx still
means "committed", but a thousand events cost one commit instead of a thousand, and SQLite's
single writer never queues up behind itself.

The queue is bounded in items and in bytes: when it is full, the request is refused with 429 and
Retry-After at once, so a storm costs bounded memory and the server keeps answering.

Everything a unit does with what users typed runs here, off the event loop: new alerts are
matched against silences' patterns on this thread. Those are RE2 patterns
(`maintenance.compile_pattern`), which match in linear time and release the GIL while matching,
so a pattern written to be slow cannot stall the requests the event loop is serving.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from takepoint.lib.context import Context, bind
from takepoint.lib.db import Database
from takepoint.lib.deps import lanes_to_wake
from takepoint.lib.errors import RateLimited, TakepointError

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Session, Any], Any]
# Stores many units' payloads at once and returns one result (or error) per payload, in order.
Batch = Callable[[Session, list[Any], Any], list[Any]]

MAX_QUEUED_ITEMS = 5000
# Bodies become several times their size once parsed; 16 MB of them stays well under 200 MB.
MAX_QUEUED_BYTES = 16 * 1024 * 1024
MAX_GROUP = 500
# A group holds SQLite's write lock while it is stored; about 1,000 batched alerts keep that
# to a fraction of a second, so a page being recorded in a storm never waits long behind it.
MAX_GROUP_BYTES = 256 * 1024
IDLE_EXIT_SECONDS = 5.0


class WriterBusy(RateLimited):
    """Takepoint is taking in more signals than it can store; retry shortly."""


class WriteFailed(TakepointError):
    """The signal could not be stored; retry shortly."""

    status_code = 503


@dataclass(slots=True)
class _Unit:
    work: Work
    batch: Batch | None
    payload: Any
    size: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


class GroupWriter:
    def __init__(
        self,
        *,
        db: Database,
        context: Context,
        on_commit: Callable[[frozenset[str]], None],
        max_items: int = MAX_QUEUED_ITEMS,
        max_bytes: int = MAX_QUEUED_BYTES,
    ) -> None:
        self.db = db
        self.context = context
        self.clock = context.clock
        self.on_commit = on_commit
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._queue: deque[_Unit] = deque()
        self._queued_bytes = 0
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self.groups = 0
        self.units = 0

    async def submit(
        self,
        work: Callable[[Session, Any], T],
        *,
        size: int = 0,
        batch: Batch | None = None,
        payload: Any = None,
    ) -> T:
        """Run `work(session, now)` in the next group; returns its result once committed.

        With `batch`, the group's units that share it are stored by one `batch(session,
        payloads, now)` call instead; `work` remains the one-by-one way, used if the batch
        fails as a whole.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if len(self._queue) >= self.max_items or self._queued_bytes + size > self.max_bytes:
                raise WriterBusy(retry_after=1)
            unit = _Unit(
                work=work, batch=batch, payload=payload, size=size, loop=loop, future=future
            )
            self._queue.append(unit)
            self._queued_bytes += size
            if self._thread is None:
                # Started on demand and gone when idle, so an app that never receives a
                # signal (or a test's app) leaves no thread behind.
                self._thread = threading.Thread(target=self._run, name="signal-writer", daemon=True)
                self._thread.start()
            else:
                self._ready.notify()
        result: T = await future
        return result

    def _take(self) -> list[_Unit] | None:
        with self._lock:
            if not self._queue:
                self._ready.wait(IDLE_EXIT_SECONDS)
            if not self._queue:
                self._thread = None
                return None
            group: list[_Unit] = []
            size = 0
            while self._queue and len(group) < MAX_GROUP:
                if group and size + self._queue[0].size > MAX_GROUP_BYTES:
                    break
                unit = self._queue.popleft()
                self._queued_bytes -= unit.size
                size += unit.size
                group.append(unit)
            return group

    def _run(self) -> None:
        while (group := self._take()) is not None:
            try:
                results = self._commit(group)
            except BaseException as exc:  # the writer's boundary: no request may wait forever
                log.exception("signal writer failed a group of %d", len(group))
                results = [WriteFailed() for _ in group]
                if not isinstance(exc, Exception):
                    raise
            # One wake-up per event loop for the whole group, not one per request.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
            for unit, result in zip(group, results, strict=True):
                by_loop.setdefault(unit.loop, []).append((unit.future, result))
            for loop, settled in by_loop.items():
                loop.call_soon_threadsafe(_settle_all, settled)

    def _commit(self, group: list[_Unit]) -> list[Any]:
        now = self.clock.now()
        session = bind(self.db.new_session(), self.context)
        try:
            try:
                results = self._together(session, group, now)
            except Exception:  # the writer's boundary: retry the group one unit at a time
                # Typically another process won a race on a new alert. Unit by unit, each in
                # its own savepoint, one bad unit cannot spoil the rest.
                session.rollback()
                log.warning(
                    "signal writer: retrying a group of %d one by one", len(group), exc_info=True
                )
                results = [self._one(session, unit, now) for unit in group]
            session.commit()
        except OperationalError:
            session.rollback()
            log.exception("signal writer could not commit a group of %d", len(group))
            return [WriteFailed() for _ in group]
        finally:
            lanes = lanes_to_wake(session)
            session.close()
        self.groups += 1
        self.units += len(group)
        if lanes:
            self.on_commit(lanes)
        return results

    def _together(self, session: Session, group: list[_Unit], now: Any) -> list[Any]:
        results: list[Any] = [None] * len(group)
        batches: dict[Batch, list[int]] = {}
        for index, unit in enumerate(group):
            if unit.batch is None:
                results[index] = self._one(session, unit, now)
            else:
                batches.setdefault(unit.batch, []).append(index)
        for batch, indexes in batches.items():
            stored = batch(session, [group[i].payload for i in indexes], now)
            for index, result in zip(indexes, stored, strict=True):
                results[index] = result
        return results

    def _one(self, session: Session, unit: _Unit, now: Any) -> Any:
        # A concurrent writer in another process may insert the same new dedup key first; the
        # second attempt then finds that alert and updates it.
        for attempt in (1, 2):
            try:
                with session.begin_nested():
                    return unit.work(session, now)
            except TakepointError as exc:
                return exc
            except IntegrityError:
                if attempt == 2:
                    log.exception("signal writer: integrity error twice")
                    return WriteFailed()
            except Exception:  # one bad unit must not fail the others in its group
                log.exception("signal writer: a unit of work failed")
                return WriteFailed()
        return WriteFailed()


def _settle_all(settled: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, result in settled:
        if future.done():  # the client went away and the request was cancelled
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


def writer_for(app: Any) -> GroupWriter:
    """The app's writer, made on first use (requests run on one event loop, so no race)."""
    writer: GroupWriter | None = getattr(app.state, "signal_writer", None)
    if writer is None:
        writer = GroupWriter(
            db=app.state.db, context=app.state.context, on_commit=app.state.trigger_engine
        )
        app.state.signal_writer = writer
    return writer
