"""Durable one-off tasks (`EngineTask` rows): claimed, run, retried with backoff, recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.service import purge_expired
from takepoint.engine.claims import Claim
from takepoint.engine.models import EngineTask, TaskState

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict[str, Any], datetime], None]
BATCH = 50
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
HOUSEKEEPING_EVERY = timedelta(hours=1)


def worker_of(session: Session) -> str:
    worker: str = session.info["engine_worker"]
    return worker


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
    if kind not in HANDLERS:
        raise ValueError(f"no handler for task kind {kind!r}")
    if unique and session.scalar(
        select(EngineTask.id).where(EngineTask.kind == kind, EngineTask.state == TaskState.PENDING)
    ):
        return None
    task = EngineTask(kind=kind, payload=payload or {}, due_at=due_at, created_at=now)
    session.add(task)
    session.flush()
    return task


def _probe(session: Session, payload: dict[str, Any], now: datetime) -> None:
    # Does nothing but prove an engine is taking work: `takepoint doctor` queues one and waits.
    return None


def _housekeeping(session: Session, payload: dict[str, Any], now: datetime) -> None:
    removed = purge_expired(session, now=now, keep_attempts=timedelta(days=30))
    log.info("housekeeping removed %d expired sessions and old sign-in attempts", removed)
    schedule(session, kind="engine.housekeeping", due_at=now + HOUSEKEEPING_EVERY, now=now)


HANDLERS: dict[str, Handler] = {
    "engine.probe": _probe,
    "engine.housekeeping": _housekeeping,
}


_claim = Claim(
    table=EngineTask,
    due_column=EngineTask.due_at,
    ready=EngineTask.state == TaskState.PENDING,
    limit=BATCH,
    extra_values={"attempts": EngineTask.attempts + 1},
)


def run_once(session: Session, now: datetime) -> int:
    worker = worker_of(session)
    ids = _claim(session, worker=worker, now=now, lease=LEASE)
    # The claim is committed before any work starts, so a crash leaves a lease that expires,
    # never a task that two engines both believe is theirs.
    session.commit()
    for task_id in ids:
        task = session.get(EngineTask, task_id)
        if task is None or task.claimed_by != worker:
            continue
        handler = HANDLERS.get(task.kind)
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
        session.commit()
    return len(ids)
