"""Editing, deleting or reordering a timeline row is found, and named, by verification."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.timeline.chain import verify_all, verify_chain
from tests.timeline.helpers import behind_the_back, entry_id, write_chain


def test_it_passes_an_intact_record(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 5)
    write_chain(db, "incident:2", clock.now(), 3)
    with db.session() as session:
        assert verify_all(session) == (2, [])
        assert verify_chain(session, "incident:1") is None


def test_it_names_an_edited_entry(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 5)
    write_chain(db, "incident:2", clock.now(), 3)
    edited = entry_id(db, "incident:1", 3)
    with behind_the_back(db) as conn:
        conn.execute(
            text("UPDATE timeline_entries SET text = 'nothing happened' WHERE id = :id"),
            {"id": edited},
        )
    with db.session() as session:
        checked, breaks = verify_all(session)
        problem = verify_chain(session, "incident:1")
    assert checked == 2
    assert [(b.chain, b.seq, b.entry_id) for b in breaks] == [("incident:1", 3, edited)]
    assert problem is not None and problem.problem == "entry 3 was edited after it was written"


def test_it_finds_an_edited_time_and_edited_data(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 4)
    write_chain(db, "incident:2", clock.now(), 4)
    first, second = entry_id(db, "incident:1", 2), entry_id(db, "incident:2", 2)
    with behind_the_back(db) as conn:
        conn.execute(
            text("UPDATE timeline_entries SET at = :at WHERE id = :id"),
            {"at": clock.now().replace(tzinfo=None), "id": first},
        )
        conn.execute(
            text("UPDATE timeline_entries SET data = :d WHERE id = :id"),
            {"d": '{"n": 2, "note": "fact 2, softened"}', "id": second},
        )
    with db.session() as session:
        _, breaks = verify_all(session)
    assert [(b.chain, b.seq) for b in breaks] == [("incident:1", 2), ("incident:2", 2)]


def test_it_finds_a_deleted_entry_and_a_deleted_last_entry(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 5)
    write_chain(db, "incident:2", clock.now(), 5)
    with behind_the_back(db) as conn:
        conn.execute(text("DELETE FROM timeline_entries WHERE chain = 'incident:1' AND seq = 2"))
        conn.execute(text("DELETE FROM timeline_entries WHERE chain = 'incident:2' AND seq = 5"))
    with db.session() as session:
        _, breaks = verify_all(session)
    assert [(b.chain, b.problem) for b in breaks] == [
        ("incident:1", "entry 2 is missing (deleted)"),
        ("incident:2", "entries after 4 are missing (deleted)"),
    ]


def test_it_finds_reordered_entries(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 5)
    with behind_the_back(db) as conn:
        conn.execute(
            text("UPDATE timeline_entries SET seq = 100 WHERE chain = 'incident:1' AND seq = 2")
        )
        conn.execute(
            text("UPDATE timeline_entries SET seq = 2 WHERE chain = 'incident:1' AND seq = 3")
        )
        conn.execute(
            text("UPDATE timeline_entries SET seq = 3 WHERE chain = 'incident:1' AND seq = 100")
        )
    with db.session() as session:
        problem = verify_chain(session, "incident:1")
        _, breaks = verify_all(session)
    assert problem is not None
    assert problem.seq == 2
    assert "reordered" in problem.problem
    assert breaks == [problem]


def test_it_finds_a_chain_whose_entries_were_all_deleted(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 3)
    with behind_the_back(db) as conn:
        conn.execute(text("DELETE FROM timeline_entries WHERE chain = 'incident:1'"))
    with db.session() as session:
        assert [b.problem for b in verify_all(session)[1]] == [
            "entries after 0 are missing (deleted)"
        ]


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", ["postgresql"])  # the trigger exists on PostgreSQL only
def test_it_refuses_updates_and_deletes_on_postgresql(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 2)
    for statement in (
        "UPDATE timeline_entries SET text = 'x'",
        "DELETE FROM timeline_entries WHERE seq = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.session() as session:
        assert verify_all(session) == (1, [])
