from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.engine import tasks
from takepoint.engine.loop import Engine
from takepoint.engine.models import EngineHeartbeat, EngineTask, TaskState
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import bind
from takepoint.lib.db import Database
from takepoint.lib.registry import DomainParts
from tests.factories import db_context, make_engine, with_parts


def _engine(db: Database, clock: FakeClock) -> Engine:
    return make_engine(db, db_context(db))


def test_it_reports_a_healthy_engine_then_a_stale_one(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    assert client.get("/healthz").status_code == 503
    _engine(db, clock).run_cycle()
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json()["engine"]["status"] == "ok"
    clock.advance(timedelta(seconds=31))
    stale = client.get("/healthz")
    assert stale.status_code == 503
    assert "last cycled 31s ago" in stale.json()["engine"]["message"]


def test_it_runs_due_tasks_once(db: Database, clock: FakeClock, session: Session) -> None:
    with db.session() as s:
        task = tasks.schedule(s, kind="engine.probe", due_at=clock.now(), now=clock.now())
        assert task is not None
        task_id = task.id
    engine = _engine(db, clock)
    assert engine.run_cycle()["tasks"] == 1
    assert engine.run_cycle()["tasks"] == 0
    done = session.get(EngineTask, task_id)
    assert done is not None
    assert (done.state, done.attempts, done.done_by) == (TaskState.DONE, 1, "test-engine")


def test_it_retries_a_failing_task_with_backoff_then_gives_up(
    db: Database, clock: FakeClock, session: Session
) -> None:
    def broken(s: Session, payload: dict[str, Any], now: object) -> None:
        raise RuntimeError("mail server said no")

    parts = DomainParts("test", task_handlers={"test.broken": broken})
    context = with_parts(db_context(db), parts)
    with db.session() as s:
        tasks.schedule(bind(s, context), kind="test.broken", due_at=clock.now(), now=clock.now())
    engine = make_engine(db, context)
    engine.run_cycle()
    row = session.scalars(select(EngineTask).where(EngineTask.kind == "test.broken")).one()
    assert row.state is TaskState.PENDING
    assert row.last_error == "RuntimeError: mail server said no"
    assert row.due_at == clock.now() + timedelta(seconds=60)
    for _ in range(tasks.MAX_ATTEMPTS):
        clock.advance(timedelta(hours=1))
        engine.run_cycle()
    session.expire_all()
    row = session.scalars(select(EngineTask).where(EngineTask.kind == "test.broken")).one()
    assert row.state is TaskState.FAILED
    assert row.attempts == tasks.MAX_ATTEMPTS


def test_it_records_its_heartbeat_every_cycle(
    db: Database, clock: FakeClock, session: Session
) -> None:
    engine = _engine(db, clock)
    engine.run_cycle()
    clock.advance(timedelta(seconds=1))
    engine.run_cycle()
    beat = session.get(EngineHeartbeat, "test-engine")
    assert beat is not None
    assert beat.cycles == 2
    assert beat.last_cycle_at == clock.now()
