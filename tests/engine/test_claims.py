from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from takepoint.engine.claims import Claim
from takepoint.engine.models import EngineTask, TaskState
from takepoint.engine.tasks import schedule
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database

_CLAIM = Claim(
    table=EngineTask,
    due_column=EngineTask.due_at,
    ready=EngineTask.state == TaskState.PENDING,
    limit=10,
)


def _claim(session: Session, worker: str, clock: FakeClock) -> list[int]:
    return _CLAIM(session, worker=worker, now=clock.now(), lease=timedelta(minutes=5))


def test_it_gives_a_due_row_to_one_claimer_only(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        for _ in range(3):
            schedule(session, kind="engine.probe", due_at=clock.now(), now=clock.now())
    with db.session() as session:
        first = _claim(session, "a", clock)
    with db.session() as session:
        second = _claim(session, "b", clock)
    assert len(first) == 3
    assert second == []


def test_it_leaves_rows_that_are_not_yet_due(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        schedule(
            session, kind="engine.probe", due_at=clock.now() + timedelta(seconds=1), now=clock.now()
        )
    with db.session() as session:
        assert _claim(session, "a", clock) == []
    clock.advance(timedelta(seconds=1))
    with db.session() as session:
        assert len(_claim(session, "a", clock)) == 1


def test_it_hands_work_over_when_a_lease_runs_out(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        schedule(session, kind="engine.probe", due_at=clock.now(), now=clock.now())
    with db.session() as session:
        assert len(_claim(session, "crashed", clock)) == 1
    clock.advance(timedelta(minutes=4))
    with db.session() as session:
        assert _claim(session, "b", clock) == []
    clock.advance(timedelta(minutes=2))
    with db.session() as session:
        assert len(_claim(session, "b", clock)) == 1
