"""Signed daily digests pin the chain heads, so even a rebuilt chain shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.timeline.chain import GENESIS, canonical, verify_all
from takepoint.timeline.digest import check_digests, daily_digests, signed_line
from tests.timeline.helpers import behind_the_back, write_chain

KEY = "test-secret-key-test-secret-key"


def _rebuild(db: Database, chain: str, seq: int, new_text: str) -> None:
    """What a database administrator could do: change a fact, then recompute every hash."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, seq, at, actor_id, kind, text, data FROM timeline_entries "
                "WHERE chain = :c ORDER BY seq"
            ),
            {"c": chain},
        ).all()
    prev = GENESIS
    updates = []
    for row in rows:
        body = new_text if row.seq == seq else row.text
        data = json.loads(row.data) if isinstance(row.data, str) else row.data
        at = row.at
        if isinstance(at, str):  # SQLite keeps naive UTC text
            at = datetime.fromisoformat(at).replace(tzinfo=UTC)
        entry_hash = hashlib.sha256(
            canonical(
                chain=chain,
                seq=row.seq,
                at=at,
                actor_id=row.actor_id,
                kind=row.kind,
                text=body,
                data=data,
                prev_hash=prev,
            )
        ).hexdigest()
        updates.append({"id": row.id, "t": body, "p": prev, "h": entry_hash})
        prev = entry_hash
    with behind_the_back(db) as conn:
        for values in updates:
            conn.execute(
                text(
                    "UPDATE timeline_entries SET text = :t, prev_hash = :p, entry_hash = :h "
                    "WHERE id = :id"
                ),
                values,
            )
        conn.execute(
            text("UPDATE timeline_heads SET entry_hash = :h WHERE chain = :c"),
            {"h": prev, "c": chain},
        )


def test_it_writes_one_signed_line_per_day(db: Database, clock: FakeClock) -> None:
    start = clock.now()
    write_chain(db, "incident:1", start, 3)
    write_chain(db, "incident:2", start + timedelta(days=2), 2)
    with db.session() as session:
        digests = daily_digests(session, through=start.date() + timedelta(days=2))
    assert [(d.day, d.chains, d.entries) for d in digests] == [
        (date(2026, 3, 2), 1, 3),
        (date(2026, 3, 3), 1, 3),
        (date(2026, 3, 4), 2, 5),
    ]
    assert list(digests[0].heads) == ["incident:1"]
    assert digests[1].heads == {}
    assert digests[0].root == digests[1].root != digests[2].root
    line = json.loads(signed_line(digests[2], KEY))
    assert line["day"] == "2026-03-04"
    assert len(line["sig"]) == 64


def test_it_shows_a_rebuilt_chain_that_verification_alone_cannot(
    db: Database, clock: FakeClock
) -> None:
    write_chain(db, "incident:1", clock.now(), 4)
    write_chain(db, "incident:2", clock.now(), 2)
    with db.session() as session:
        exported = [signed_line(d, KEY) for d in daily_digests(session, through=clock.now().date())]
        assert check_digests(session, exported, key=KEY) == []

    _rebuild(db, "incident:1", 2, "The on-call engineer did nothing for an hour")

    with db.session() as session:
        assert verify_all(session) == (2, [])  # every hash recomputed: the chain looks intact
        problems = check_digests(session, exported, key=KEY)
    assert len(problems) == 1
    assert "2026-03-02" in problems[0]
    assert "no longer matches" in problems[0]
    assert "incident:1" in problems[0]
    assert "incident:2" not in problems[0]


def test_it_refuses_a_digest_line_that_was_altered(db: Database, clock: FakeClock) -> None:
    write_chain(db, "incident:1", clock.now(), 2)
    with db.session() as session:
        (digest,) = daily_digests(session, through=clock.now().date())
        line = json.loads(signed_line(digest, KEY))
        line["entries"] = 1
        problems = check_digests(session, [json.dumps(line), "not json"], key=KEY)
        assert check_digests(session, [signed_line(digest, "another key")], key=KEY) != []
    assert problems == [
        "line 1 (2026-03-02): the signature does not match: the line was altered, "
        "or signed with another secret key",
        "line 2: not a Takepoint digest",
    ]
