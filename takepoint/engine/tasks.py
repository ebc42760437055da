"""Durable one-off tasks (`EngineTask` rows): claimed, run, retried with backoff, recorded.

A task's kind names its handler in the registry (`Registry.task_handlers`): the engine's own
kinds are `TaskKind`, other domains contribute theirs.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from takepoint.accounts.service import purge_expired
from takepoint.engine.models import EngineTask, TaskKind, TaskState
from takepoint.lib.claims import Claim, Lease
from takepoint.lib.context import context_of
from takepoint.lib.registry import TaskHandler
from takepoint.notify.links import forget_used

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
HOUSEKEEPING_EVERY = timedelta(hours=1)


def schedule(
    session: Session,
    *,
    kind: str,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
    unique: bool = False,
) -> EngineTask | None:
    """Queue a task; with `unique`, only if no task of that kind is still pending."""
    if kind not in context_of(session).registry.task_handlers:
        raise ValueError(f"no handler for task kind {kind!r}")
    if unique and session.scalar(_PENDING_OF_KIND, {"kind": kind}):
        return None
    task = EngineTask(kind=str(kind), payload=payload or {}, due_at=due_at, created_at=now)
    session.add(task)
    session.flush()
    return task


_PENDING_OF_KIND = (
    select(EngineTask.id)
    .where(EngineTask.kind == bindparam("kind"), EngineTask.state == TaskState.PENDING)
    .limit(1)
)


def _probe(session: Session, payload: dict[str, Any], now: datetime) -> None:
    # Does nothing but prove an engine is taking work: `takepoint doctor` queues one and waits.
    return None


def _housekeeping(session: Session, payload: dict[str, Any], now: datetime) -> None:
    removed = purge_expired(session, now=now, keep_attempts=timedelta(days=30))
    forgotten = forget_used(session, now=now)
    log.info(
        "housekeeping removed %d expired sessions and old sign-in attempts, "
        "and %d marks of action links too old to be used",
        removed,
        forgotten,
    )
    schedule(session, kind=TaskKind.HOUSEKEEPING, due_at=now + HOUSEKEEPING_EVERY, now=now)


HANDLERS: dict[str, TaskHandler] = {
    TaskKind.PROBE: _probe,
    TaskKind.HOUSEKEEPING: _housekeeping,
}


_CLAIM = Claim(
    EngineTask,
    ready=EngineTask.state == TaskState.PENDING,
    due=EngineTask.due_at,
    values={"attempts": EngineTask.attempts + 1},
    limit=BATCH,
    leased=True,
)
# Tasks this engine will not get to before its lease is half gone go back, uncounted.
_RELEASE = (
    update(EngineTask)
    .where(
        EngineTask.id.in_(bindparam("ids", expanding=True)),
        EngineTask.claimed_by == bindparam("worker"),
        EngineTask.state == TaskState.PENDING,
    )
    .values(claimed_by=None, lease_until=None, attempts=EngineTask.attempts - 1)
    .execution_options(synchronize_session=False)
)


def run_once(session: Session, now: datetime) -> int:
    context = context_of(session)
    worker = context.engine_worker
    claimed = _CLAIM.rows(session, now=now, lease=Lease(worker, LEASE))
    # The claim is committed before any work starts, so a crash leaves a lease that expires,
    # never a task that two engines both believe is theirs.
    session.commit()
    started = time.monotonic()
    for index, task in enumerate(claimed):
        if time.monotonic() - started > LEASE.total_seconds() / 2:
            rest = [t.id for t in claimed[index:]]
            session.execute(_RELEASE, {"ids": rest, "worker": worker})
            session.commit()
            return index
        _run(session, task, context.registry.task_handlers.get(task.kind), worker, now)
        session.commit()
    return len(claimed)


def _run(
    session: Session, task: EngineTask, handler: TaskHandler | None, worker: str, now: datetime
) -> None:
    try:
        if handler is None:
            raise LookupError(f"no handler for task kind {task.kind!r}")
        with session.begin_nested():
            handler(session, task.payload, now)
    except Exception as exc:  # the job boundary: one bad task must not stop the others
        log.exception("task %s (%s) failed", task.id, task.kind)
        task.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        task.lease_until = None
        if task.attempts >= MAX_ATTEMPTS or handler is None:
            task.state = TaskState.FAILED
        else:
            task.due_at = now + timedelta(seconds=30 * 2**task.attempts)
    else:
        task.state = TaskState.DONE
        task.done_at = now
        task.done_by = worker
