"""Appending to and verifying hash chains.

Canonical form of an entry (the bytes that are hashed), documented in docs/timeline.md:
a JSON object with exactly these keys, sorted, no whitespace, UTF-8, non-ASCII kept as is:

    {"actor_id": 3 | null, "at": "2026-03-02T07:40:00.000000Z", "chain": "incident:42",
     "data": {...}, "kind": "note", "prev_hash": "<64 hex>", "seq": 7, "text": "..."}

The first entry of a chain has prev_hash = 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import attrgetter
from typing import Any, TypeVarTuple, cast

from sqlalchemy import (
    Result,
    Select,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from takepoint.lib.clock import require_aware
from takepoint.lib.db import transaction_cache
from takepoint.lib.errors import InvalidInput
from takepoint.timeline.models import EntryKind, TimelineEntry, TimelineHead

GENESIS = "0" * 64
ENTRIES = cast(Table, TimelineEntry.__table__)
HEADS = cast(Table, TimelineHead.__table__)


def canonical(
    *,
    chain: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    kind: str,
    text: str,
    data: dict[str, Any],
    prev_hash: str,
) -> bytes:
    document = {
        "actor_id": actor_id,
        "at": require_aware(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "chain": chain,
        "data": data,
        "kind": kind,
        "prev_hash": prev_hash,
        "seq": seq,
        "text": text,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
# What that encoder does to a lone string, without its per-call set-up.
_string: Callable[[str], str] = json.encoder.encode_basestring


def _utc_text(value: datetime | str) -> str:
    """`at` as the canonical form writes it, from a datetime or SQLite's stored UTC text."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":  # "2026-03-02 07:40:00.000000", naive UTC
            return value[:10] + "T" + value[11:] + "Z"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _fast_hash(
    chain: str,
    seq: int,
    at: datetime | str,
    actor_id: int | None,
    kind: str,
    text: str,
    data: dict[str, Any] | str,
    prev_hash: str,
) -> str:
    """SHA-256 of exactly the bytes `canonical` gives, assembled key by key in sorted order.

    Every append hashes one entry and verification hashes every entry ever written; building
    one encoder per entry costs more than the hashing. tests/timeline/test_canonical.py holds
    the two forms equal.
    """
    if isinstance(data, str):  # SQLite hands JSON back as text; PostgreSQL as objects
        data = json.loads(data)
    document = (
        '{"actor_id":'
        + ("null" if actor_id is None else str(int(actor_id)))
        + ',"at":"'
        + _utc_text(at)
        + '","chain":'
        + _string(chain)
        + ',"data":'
        + _encode(data)
        + ',"kind":'
        + _string(kind)
        + ',"prev_hash":'
        + _string(prev_hash)
        + ',"seq":'
        + str(int(seq))
        + ',"text":'
        + _string(text)
        + "}"
    )
    return hashlib.sha256(document.encode()).hexdigest()


# Built once: constructing a statement costs more than running it on a small table.
# (SQLite has no FOR UPDATE and leaves it out; its write transactions are serial anyway.)
_LOCK_HEAD = (
    select(HEADS.c.seq, HEADS.c.entry_hash)
    .where(HEADS.c.chain == bindparam("head"))
    .with_for_update()
)
_INSERT_ENTRY = insert(ENTRIES)
_INSERT_HEAD = insert(HEADS)
_MOVE_HEAD = (
    update(HEADS)
    .where(HEADS.c.chain == bindparam("head"))
    .values(seq=bindparam("new_seq"), entry_hash=bindparam("new_hash"))
)


@dataclass(frozen=True)
class Appended:
    chain: str
    seq: int
    entry_hash: str


def append(
    session: Session,
    *,
    chain: str,
    kind: EntryKind,
    text: str,
    at: datetime,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Appended:
    """Add a fact to the end of `chain`. Never update or delete entries: correct with new ones.

    Plain statements rather than ORM objects: every page, delivery and note appends, and this
    is the engine's most frequent write. Pending ORM changes are flushed first, so an entry
    never lands before the rows it speaks of.
    """
    if "\x00" in text:
        # What a person typed (a note): refused as every other text with one is (lib.db).
        raise InvalidInput("text may not contain a NUL character", field="text")
    session.flush()
    # A chain this transaction already appended to has its head locked and known.
    heads = transaction_cache(session, "timeline_heads")
    if chain in heads:
        seq, prev_hash = heads[chain]
        seq, new_chain = seq + 1, False
    else:
        head = session.execute(_LOCK_HEAD, {"head": chain}).first()
        new_chain = head is None
        seq, prev_hash = (1, GENESIS) if head is None else (head.seq + 1, head.entry_hash)
    # JSON round trip: what is hashed must be exactly what the database gives back later.
    clean_data = json.loads(json.dumps(data or {}, default=str))
    at = require_aware(at)
    entry_hash = _fast_hash(chain, seq, at, actor_id, kind.value, text, clean_data, prev_hash)
    session.execute(
        _INSERT_ENTRY,
        {
            "chain": chain,
            "seq": seq,
            "at": at,
            "actor_id": actor_id,
            "kind": kind,
            "text": text,
            "data": clean_data,
            "prev_hash": prev_hash,
            "entry_hash": entry_hash,
        },
    )
    if new_chain:
        session.execute(_INSERT_HEAD, {"chain": chain, "seq": seq, "entry_hash": entry_hash})
    else:
        session.execute(_MOVE_HEAD, {"head": chain, "new_seq": seq, "new_hash": entry_hash})
    heads[chain] = (seq, entry_hash)
    return Appended(chain=chain, seq=seq, entry_hash=entry_hash)


def entries(session: Session, chain: str) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry).where(TimelineEntry.chain == chain).order_by(TimelineEntry.seq)
        )
    )


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    entry_id: int | None
    problem: str


# What verification reads of each entry, in chain order. One ordered scan over the
# (chain, seq) unique index serves one chain or all of them.
# Time, kind and data are read as the driver gives them, without SQLAlchemy's per-value
# conversions: `_fast_hash` accepts both forms, and skipping them halves the time to verify.
_VERIFY_COLUMNS = (
    TimelineEntry.chain,
    TimelineEntry.id,
    TimelineEntry.seq,
    type_coerce(TimelineEntry.at, String).label("at"),
    TimelineEntry.actor_id,
    type_coerce(TimelineEntry.kind, String).label("kind"),
    TimelineEntry.text,
    type_coerce(TimelineEntry.data, Text).label("data"),
    TimelineEntry.prev_hash,
    TimelineEntry.entry_hash,
)
# PostgreSQL formats the time as UTC text itself, in SQLite's stored form, which is much cheaper
# than building a datetime per row only to format it again.
_POSTGRES_AT = func.to_char(
    func.timezone("UTC", TimelineEntry.at), "YYYY-MM-DD HH24:MI:SS.US"
).label("at")


def _verify_columns(session: Session) -> tuple[Any, ...]:
    if session.get_bind().dialect.name == "postgresql":
        return (*_VERIFY_COLUMNS[:3], _POSTGRES_AT, *_VERIFY_COLUMNS[4:])
    return _VERIFY_COLUMNS


# Rows fetched per round trip while streaming; PostgreSQL uses a server-side cursor.
STREAM_BATCH = 5000
_Columns = TypeVarTuple("_Columns")


def streamed(session: Session, query: Select[*_Columns]) -> Result[*_Columns]:
    """Run `query` on the session's connection, streaming the rows in batches.

    A server-side cursor needs a transaction, so on a connection in autocommit mode (a tool
    that watches the database) the result is read whole instead.
    """
    connection = session.connection()
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        query = query.execution_options(yield_per=STREAM_BATCH)
    return connection.execute(query)


def verify_chain(session: Session, chain: str) -> Break | None:
    """The first broken link of `chain`, or None when the record is intact."""
    rows = session.connection().execute(
        select(*_verify_columns(session))
        .where(TimelineEntry.chain == chain)
        .order_by(TimelineEntry.seq)
    )
    head = session.get(TimelineHead, chain, populate_existing=True)
    return _first_break(chain, rows, head)


def _first_break(chain: str, rows: Iterable[Any], head: TimelineHead | None) -> Break | None:
    expected_prev = GENESIS
    expected_seq = 1
    for row in rows:
        if row.seq != expected_seq:
            return Break(chain, expected_seq, None, f"entry {expected_seq} is missing (deleted)")
        if row.prev_hash != expected_prev:
            return Break(
                chain,
                row.seq,
                row.id,
                f"entry {row.seq} does not follow entry {row.seq - 1} (reordered or replaced)",
            )
        recomputed = _fast_hash(
            chain, row.seq, row.at, row.actor_id, row.kind, row.text, row.data, row.prev_hash
        )
        if recomputed != row.entry_hash:
            return Break(chain, row.seq, row.id, f"entry {row.seq} was edited after it was written")
        expected_prev = row.entry_hash
        expected_seq += 1
    if head is not None and (head.seq != expected_seq - 1 or head.entry_hash != expected_prev):
        return Break(
            chain, expected_seq, None, f"entries after {expected_seq - 1} are missing (deleted)"
        )
    return None


def verify_all(session: Session) -> tuple[int, list[Break]]:
    """Verify every chain; returns how many chains were checked and the first break of each.

    One ordered, streamed query reads every entry once (not a query per chain), so a large
    record verifies at the speed of hashing: see benchmarks/verify.py.
    """
    heads = {head.chain: head for head in session.scalars(select(TimelineHead))}
    rows = streamed(
        session,
        select(*_verify_columns(session)).order_by(TimelineEntry.chain, TimelineEntry.seq),
    )
    breaks: list[Break] = []
    seen: set[str] = set()
    for chain, chain_rows in groupby(rows, key=attrgetter("chain")):
        seen.add(chain)
        head = heads.get(chain)
        if head is None:
            breaks.append(Break(chain, 0, None, "the chain's head record is missing"))
            continue
        problem = _first_break(chain, chain_rows, head)
        if problem is not None:
            breaks.append(problem)
    for chain in sorted(set(heads) - seen):
        # A head with no entries at all: every entry of the chain was deleted.
        problem = _first_break(chain, (), heads[chain])
        if problem is not None:
            breaks.append(problem)
    breaks.sort(key=attrgetter("chain"))
    return len(seen | set(heads)), breaks


__all__ = ["EntryKind", "append", "entries", "verify_all", "verify_chain"]
