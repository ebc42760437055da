"""The machine's own limit, to show how much of the cost is Takepoint's.

1. The HTTP ceiling: the same requests against an ASGI endpoint that reads the body and answers
   as Takepoint does, doing no other work, under uvicorn with the same settings as
   `takepoint web` (httptools and uvloop, no access log).

       .venv/bin/python -m benchmarks.ceiling PORT      # serves it; the harness starts it

2. The commit ceiling: the same alert rows written straight into a migrated SQLite database with
   Python's sqlite3 and no framework, one row per commit and 100 rows per commit.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import prepare

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ANSWER = json.dumps(
    {"status": "success", "message": "Event processed", "dedup_key": "k"}, separators=(",", ":")
).encode()


async def do_nothing(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})


def _rows(count: int, start: int) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC).isoformat(sep=" ")
    labels = json.dumps({"alertname": "DiskFull", "instance": "txn-01", "severity": "warning"})
    details = json.dumps({"annotations": {"summary": "disk /var 96% full"}})
    return [
        (
            1,
            1,
            f"k-{start + n}",
            f"k-{start + n}",
            "OPEN",
            "WARNING",
            "disk /var 96% full",
            "txn-01",
            labels,
            details,
            json.dumps({"alert": {"labels": labels}}),
            "0" * 32,
            now,
            now,
            1,
            False,
            True,
        )
        for n in range(count)
    ]


INSERT = (
    "INSERT INTO alerts (integration_id, service_id, dedup_key, open_key, state, severity, "
    "summary, source, labels, details, raw, raw_digest, first_seen_at, last_seen_at, "
    "event_count, during_maintenance, needs_triage) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def commit_rates(work: Path, seconds: float) -> dict[str, float]:
    """Rows per second into `alerts`, one row per commit and 100 rows per commit."""
    path = work / "ceiling.db"
    prepare(f"sqlite:///{path}")  # the schema, a service and its integrations
    connection = sqlite3.connect(path, isolation_level=None)
    # The same settings Takepoint gives its connections: WAL, synchronous=NORMAL.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    rates: dict[str, float] = {}
    written = 0
    for name, per_commit in (("one row per commit", 1), ("100 rows per commit", 100)):
        deadline = time.perf_counter() + seconds
        started, rows = time.perf_counter(), 0
        while time.perf_counter() < deadline:
            batch = _rows(per_commit, written)
            written += per_commit
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(INSERT, batch)
            connection.execute("COMMIT")
            rows += per_commit
        rates[name] = rows / (time.perf_counter() - started)
    connection.close()
    return rates


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(
        do_nothing, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False
    )
