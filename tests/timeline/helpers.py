"""Writing chains for timeline tests, and changing rows behind Takepoint's back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from takepoint.lib.db import Database
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

TRIGGER = "timeline_entries_append_only"


def write_chain(db: Database, chain: str, start: datetime, count: int) -> None:
    with db.session() as session:
        for n in range(count):
            append(
                session,
                chain=chain,
                kind=EntryKind.NOTE,
                text=f"fact {n + 1} of {chain}",
                at=start + timedelta(minutes=5 * n),
                data={"n": n + 1, "note": f"fact {n + 1}"},
            )


@contextmanager
def behind_the_back(db: Database) -> Iterator[Any]:
    """A raw connection that changes rows as a database administrator could.

    On PostgreSQL the append-only trigger is switched off first (only an owner can), and on
    again afterwards, whatever happens.
    """
    postgres = db.dialect == "postgresql"
    with db.engine.begin() as conn:
        if postgres:
            conn.execute(text(f"ALTER TABLE timeline_entries DISABLE TRIGGER {TRIGGER}"))
        try:
            yield conn
        finally:
            if postgres:
                conn.execute(text(f"ALTER TABLE timeline_entries ENABLE TRIGGER {TRIGGER}"))


def entry_id(db: Database, chain: str, seq: int) -> int:
    with db.engine.connect() as conn:
        value = conn.execute(
            text("SELECT id FROM timeline_entries WHERE chain = :c AND seq = :s"),
            {"c": chain, "s": seq},
        ).scalar_one()
    return int(value)
