from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, text
from sqlalchemy.orm import Session

from takepoint.engine.models import EngineTask, TaskKind, TaskState
from takepoint.lib.claims import NOW, Claim, Lease
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database

_LEASED = Claim(
    EngineTask,
    ready=EngineTask.state == TaskState.PENDING,
    due=EngineTask.due_at,
    values={"attempts": EngineTask.attempts + 1},
    limit=10,
    leased=True,
)
# A deadline claim: taking a row moves its deadline on, to a time the caller binds.
_MOVED_ON = Claim(
    EngineTask,
    ready=EngineTask.state == TaskState.PENDING,
    due=EngineTask.due_at,
    values={"due_at": bindparam("next_due"), "done_at": NOW},
    limit=2,
)


def _add_tasks(db: Database, due_at: datetime, count: int = 1) -> list[int]:
    with db.session() as session:
        tasks = [
            EngineTask(kind=TaskKind.PROBE, payload={}, due_at=due_at, created_at=due_at)
            for _ in range(count)
        ]
        session.add_all(tasks)
        session.flush()
        return [task.id for task in tasks]


def _claim(session: Session, worker: str, clock: FakeClock) -> list[int]:
    return _LEASED.ids(session, now=clock.now(), lease=Lease(worker, timedelta(minutes=5)))


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_it_gives_a_due_row_to_one_claimer_only(db: Database, clock: FakeClock) -> None:
    _add_tasks(db, clock.now(), count=3)
    with db.session() as session:
        first = _claim(session, "a", clock)
    with db.session() as session:
        second = _claim(session, "b", clock)
    assert len(first) == 3
    assert second == []


def test_it_leaves_rows_that_are_not_yet_due(db: Database, clock: FakeClock) -> None:
    _add_tasks(db, clock.now() + timedelta(seconds=1))
    with db.session() as session:
        assert _claim(session, "a", clock) == []
    clock.advance(timedelta(seconds=1))
    with db.session() as session:
        assert len(_claim(session, "a", clock)) == 1


def test_it_hands_work_over_when_a_lease_runs_out(db: Database, clock: FakeClock) -> None:
    _add_tasks(db, clock.now())
    with db.session() as session:
        assert len(_claim(session, "crashed", clock)) == 1
    clock.advance(timedelta(minutes=4))
    with db.session() as session:
        assert _claim(session, "b", clock) == []
    clock.advance(timedelta(minutes=2))
    with db.session() as session:
        assert len(_claim(session, "b", clock)) == 1


@pytest.mark.parametrize("count", [1, 7])
def test_it_loads_the_claimed_rows_in_one_query(
    db: Database, clock: FakeClock, count: int, backend: str
) -> None:
    ids = _add_tasks(db, clock.now(), count=count)
    with db.session() as session:
        session.connection()  # BEGIN and its settings are not the claim's statements
        with _statements(db) as statements:
            rows = _LEASED.rows(session, now=clock.now(), lease=Lease("a", timedelta(minutes=5)))
    assert [row.id for row in rows] == ids
    assert {(row.claimed_by, row.attempts) for row in rows} == {("a", 1)}
    assert {row.lease_until for row in rows} == {clock.now() + timedelta(minutes=5)}
    # PostgreSQL: candidates, UPDATE, load. SQLite: UPDATE of its candidates, load.
    assert len(statements) == (3 if backend == "postgresql" else 2), statements
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) == (
        2 if backend == "postgresql" else 1
    )


def test_it_moves_a_deadline_on_so_no_second_claim_finds_it(db: Database, clock: FakeClock) -> None:
    _add_tasks(db, clock.now(), count=3)
    later = clock.now() + timedelta(hours=1)
    with db.session() as session:
        first = _MOVED_ON.rows(session, now=clock.now(), params={"next_due": later})
    with db.session() as session:
        second = _MOVED_ON.rows(session, now=clock.now(), params={"next_due": later})
    # The limit leaves the third for the second claim; nobody gets a row twice.
    assert [len(first), len(second)] == [2, 1]
    assert {(row.due_at, row.done_at) for row in first + second} == {(later, clock.now())}
    with db.session() as session:
        assert _MOVED_ON.rows(session, now=clock.now(), params={"next_due": later}) == []
    clock.advance(timedelta(hours=1))
    with db.session() as session:
        assert len(_MOVED_ON.rows(session, now=clock.now(), params={"next_due": later})) == 2


# SQLite writers take turns at BEGIN IMMEDIATE: there is no concurrent claim to skip.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_it_skips_rows_another_engine_is_claiming(db: Database, clock: FakeClock) -> None:
    ids = _add_tasks(db, clock.now(), count=3)
    # Two engines at once: the first has claimed two rows and not yet committed.
    with db.session() as first, db.session() as second:
        # Were it to wait, it would wait for this very test: fail instead of hanging.
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        taken = _MOVED_ON.ids(first, now=clock.now(), params={"next_due": clock.now()})
        # The second does not wait for the first: it skips the locked rows.
        also = _MOVED_ON.ids(second, now=clock.now(), params={"next_due": clock.now()})
    assert taken == ids[:2]
    assert also == ids[2:]


def test_it_refuses_a_leased_claim_without_a_lease(db: Database, clock: FakeClock) -> None:
    with db.session() as session, pytest.raises(ValueError, match="needs a lease"):
        _LEASED.ids(session, now=clock.now())
