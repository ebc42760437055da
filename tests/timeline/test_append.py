"""Appending within one transaction: the head it keeps in memory never outlives what it saw."""

from __future__ import annotations

from datetime import timedelta

import pytest

from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.timeline.chain import append, entries, verify_chain
from takepoint.timeline.models import EntryKind


def _note(session: object, chain: str, clock: FakeClock, text: str) -> int:
    appended = append(
        session,  # type: ignore[arg-type]
        chain=chain,
        kind=EntryKind.NOTE,
        text=text,
        at=clock.now(),
    )
    clock.advance(timedelta(seconds=1))
    return appended.seq


def test_it_keeps_the_chain_whole_when_a_savepoint_is_rolled_back(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        assert _note(session, "incident:1", clock, "first") == 1
        with pytest.raises(RuntimeError), session.begin_nested():
            assert _note(session, "incident:1", clock, "undone") == 2
            raise RuntimeError("the unit failed")
        # The head the savepoint moved is gone with it; the next entry follows the first.
        assert _note(session, "incident:1", clock, "second") == 2
    with db.session() as session:
        assert [e.text for e in entries(session, "incident:1")] == ["first", "second"]
        assert verify_chain(session, "incident:1") is None


def test_it_reads_the_head_again_in_the_next_transaction(db: Database, clock: FakeClock) -> None:
    session = db.new_session()
    try:
        _note(session, "incident:2", clock, "first")
        _note(session, "incident:2", clock, "second")
        session.commit()
        # Another writer appends between this session's transactions.
        with db.session() as other:
            _note(other, "incident:2", clock, "from elsewhere")
        assert _note(session, "incident:2", clock, "third") == 4
        session.commit()
    finally:
        session.close()
    with db.session() as check:
        assert verify_chain(check, "incident:2") is None
