"""Durable tasks: kinds and handlers come from the registry; work not begun in time goes back."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.engine import tasks
from takepoint.engine.models import EngineTask, TaskKind, TaskState
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context, bind
from takepoint.lib.db import Database
from takepoint.lib.registry import DomainParts
from tests.factories import db_context, with_parts


def _run(db: Database, context: Context, clock: FakeClock, worker: str = "engine-a") -> int:
    with db.session() as session:
        return tasks.run_once(bind(session, context.for_worker(worker)), clock.now())


def _schedule(db: Database, context: Context, clock: FakeClock, kind: str, **payload: Any) -> int:
    with db.session() as session:
        task = tasks.schedule(
            bind(session, context), kind=kind, due_at=clock.now(), now=clock.now(), payload=payload
        )
        assert task is not None
        return task.id


def _task(session: Session, task_id: int) -> EngineTask:
    session.expire_all()
    return session.scalars(select(EngineTask).where(EngineTask.id == task_id)).one()


def test_it_runs_a_kind_that_another_domain_contributes(
    db: Database, clock: FakeClock, session: Session
) -> None:
    seen: list[dict[str, Any]] = []

    def record(s: Session, payload: dict[str, Any], now: datetime) -> None:
        seen.append(payload)

    context = with_parts(db_context(db), DomainParts("test", task_handlers={"test.record": record}))
    task_id = _schedule(db, context, clock, "test.record", ticket=7)
    assert _run(db, context, clock) == 1
    assert seen == [{"ticket": 7}]
    done = _task(session, task_id)
    assert (done.state, done.done_by) == (TaskState.DONE, "engine-a")


def test_it_refuses_to_queue_a_kind_that_nobody_handles(db: Database, clock: FakeClock) -> None:
    nobody = re.escape("no handler for task kind 'test.nobody'")
    with db.session() as session, pytest.raises(ValueError, match=nobody):
        tasks.schedule(session, kind="test.nobody", due_at=clock.now(), now=clock.now())


def test_it_queues_the_engines_own_kinds(db: Database, clock: FakeClock, session: Session) -> None:
    task_id = _schedule(db, db_context(db), clock, TaskKind.PROBE)
    assert _task(session, task_id).kind == "engine.probe"
    assert set(tasks.HANDLERS) == {"engine.probe", "engine.housekeeping"}


def test_it_fails_a_task_whose_handler_is_gone(
    db: Database, clock: FakeClock, session: Session
) -> None:
    def record(s: Session, payload: dict[str, Any], now: datetime) -> None:
        pass

    parts = DomainParts("test", task_handlers={"test.removed": record})
    task_id = _schedule(db, with_parts(db_context(db), parts), clock, "test.removed")
    # The engine that runs it was built without that domain.
    _run(db, db_context(db), clock)
    failed = _task(session, task_id)
    assert failed.state is TaskState.FAILED
    assert failed.last_error == "LookupError: no handler for task kind 'test.removed'"


def test_it_hands_back_the_tasks_it_cannot_start_within_half_its_lease(
    db: Database, clock: FakeClock, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    elapsed = [0.0]
    monkeypatch.setattr(tasks, "time", SimpleNamespace(monotonic=lambda: elapsed[0]))

    def slow(s: Session, payload: dict[str, Any], now: datetime) -> None:
        elapsed[0] += tasks.LEASE.total_seconds()

    context = with_parts(db_context(db), DomainParts("test", task_handlers={"test.slow": slow}))
    first = _schedule(db, context, clock, "test.slow")
    second = _schedule(db, context, clock, "test.slow")
    assert _run(db, context, clock) == 1
    assert _task(session, first).state is TaskState.DONE
    handed_back = _task(session, second)
    assert (handed_back.state, handed_back.claimed_by, handed_back.lease_until) == (
        TaskState.PENDING,
        None,
        None,
    )
    assert handed_back.attempts == 0
    # Another engine takes it at once, without waiting for the lease to run out.
    assert _run(db, context, clock, worker="engine-b") == 1
    assert (_task(session, second).done_by, _task(session, second).attempts) == ("engine-b", 1)
