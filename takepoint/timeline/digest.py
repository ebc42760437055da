"""Signed daily digests of the chain heads: what makes even a rebuilt chain visible.

The hash chain catches an edited, deleted or reordered entry, but someone with write access to
the database could rewrite a whole chain and recompute every hash after the change. A digest
exported each day and kept where that person cannot write (mailed to a manager, kept on
another machine) pins the heads as they were: a rebuilt chain no longer matches it.

One digest per UTC day, as one JSON line:

    {"v": 1, "day": "2026-03-02", "chains": 12, "entries": 340, "root": "<64 hex>",
     "heads": {"incident:7": [15, "<64 hex>"]}, "sig": "<64 hex>"}

- The head of a chain at the end of a day is its entry with the highest `seq` among those whose
  `at` falls on or before that day (UTC).
- `root` is SHA-256 over one line "<chain> <seq> <entry_hash>\n" per chain, sorted by chain:
  every chain's head at the end of the day.
- `heads` lists the chains whose head moved that day, so a mismatch can be pinned down.
- `sig` is HMAC-SHA256, keyed with the server's secret key, over the line's other keys in the
  timeline's canonical JSON form (sorted keys, no whitespace, UTF-8).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from takepoint.timeline.chain import streamed
from takepoint.timeline.models import TimelineEntry

VERSION = 1


@dataclass(frozen=True)
class Digest:
    day: date
    chains: int
    entries: int
    root: str
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    def unsigned(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "day": self.day.isoformat(),
            "chains": self.chains,
            "entries": self.entries,
            "root": self.root,
            "heads": {chain: [seq, h] for chain, (seq, h) in sorted(self.heads.items())},
        }


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(document: dict[str, Any], key: str) -> str:
    unsigned = {k: v for k, v in document.items() if k != "sig"}
    return hmac.new(key.encode(), _canonical(unsigned), hashlib.sha256).hexdigest()


def signed_line(digest: Digest, key: str) -> str:
    document = digest.unsigned()
    document["sig"] = signature(document, key)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _day_of(value: datetime | str) -> date:
    if isinstance(value, str):  # SQLite's stored UTC text
        return date.fromisoformat(value[:10])
    return value.astimezone(UTC).date()


def _head_moves(session: Session) -> dict[date, dict[str, tuple[int, str]]]:
    """For each day, the chains whose head moved that day and where it moved to."""
    rows = streamed(
        session,
        select(
            TimelineEntry.chain,
            TimelineEntry.seq,
            type_coerce(TimelineEntry.at, String).label("at"),
            TimelineEntry.entry_hash,
        ).order_by(TimelineEntry.chain, TimelineEntry.seq),
    )
    moves: dict[date, dict[str, tuple[int, str]]] = {}
    for chain, chain_rows in groupby(rows, key=itemgetter(0)):
        # The last entry written on each day; an entry stamped earlier than one before it
        # (a back-dated fact) still counts from its own day, and the running maximum wins.
        last_by_day: dict[date, tuple[int, str]] = {}
        for _, seq, at, entry_hash in chain_rows:
            last_by_day[_day_of(at)] = (seq, entry_hash)
        best = 0
        for day in sorted(last_by_day):
            seq, entry_hash = last_by_day[day]
            if seq > best:
                best = seq
                moves.setdefault(day, {})[chain] = (seq, entry_hash)
    return moves


def daily_digests(session: Session, *, through: date, since: date | None = None) -> list[Digest]:
    """One digest per day from `since` (default: the first day with entries) to `through`."""
    moves = _head_moves(session)
    if not moves:
        return []
    first = min(moves)
    start = since or first
    heads: dict[str, tuple[int, str]] = {}
    found: list[Digest] = []
    day = min(first, start)
    while day <= through:
        changed = moves.get(day, {})
        heads.update(changed)
        if day >= start:
            lines = "".join(f"{c} {s} {h}\n" for c, (s, h) in sorted(heads.items()))
            found.append(
                Digest(
                    day=day,
                    chains=len(heads),
                    entries=sum(seq for seq, _ in heads.values()),
                    root=hashlib.sha256(lines.encode()).hexdigest(),
                    heads=dict(changed),
                )
            )
        day += timedelta(days=1)
    return found


def check_digests(session: Session, lines: Iterable[str], *, key: str) -> list[str]:
    """Compare exported digest lines with the record as it is now; returns the problems."""
    parsed: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
            day = date.fromisoformat(document["day"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"line {number}: not a Takepoint digest")
            continue
        if not hmac.compare_digest(str(document.get("sig", "")), signature(document, key)):
            problems.append(
                f"line {number} ({day}): the signature does not match: the line was altered, "
                "or signed with another secret key"
            )
            continue
        parsed.append((number, document))
    if not parsed:
        return problems
    days = [date.fromisoformat(d["day"]) for _, d in parsed]
    now_digests = {d.day: d for d in daily_digests(session, since=min(days), through=max(days))}
    for (number, document), day in zip(parsed, days, strict=True):
        current = now_digests.get(day)
        if current is not None and current.root == document["root"]:
            continue
        differing = [
            f"{chain} (seq {seq}: {entry_hash[:12]}… then)"
            for chain, (seq, entry_hash) in document.get("heads", {}).items()
            if current is None or _head_on(now_digests, day, chain) != (seq, entry_hash)
        ]
        where = f": {', '.join(differing)}" if differing else ""
        problems.append(
            f"line {number} ({day}): the record no longer matches the digest exported then{where}"
        )
    return problems


def _head_on(digests: dict[date, Digest], day: date, chain: str) -> tuple[int, str] | None:
    current = digests.get(day)
    return current.heads.get(chain) if current is not None else None
