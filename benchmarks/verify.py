"""How long `takepoint verify` takes over a large, intact record, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.verify [--entries 100000] [--chains 1000] [--runs 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--no-postgres]

It builds --entries hash-chained timeline entries spread over --chains chains (written in bulk,
with real hashes), then times `verify_all` --runs times on each database and prints the best
and the median. The target is under 2 s for 100,000 entries. PostgreSQL gets a scratch
database of its own, dropped at the end. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, make_url

from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.timeline.chain import GENESIS, canonical, verify_all
from takepoint.timeline.models import EntryKind, TimelineEntry, TimelineHead

START = datetime(2026, 3, 2, 7, 40, tzinfo=UTC)
KINDS = [EntryKind.NOTIFICATION, EntryKind.DELIVERY, EntryKind.NOTE, EntryKind.STATUS_UPDATE]


def fill(database: Database, *, entries: int, chains: int) -> None:
    per_chain = max(1, entries // chains)
    rows: list[dict[str, object]] = []
    heads: list[dict[str, object]] = []
    for c in range(1, chains + 1):
        chain = f"incident:{c}"
        prev = GENESIS
        for seq in range(1, per_chain + 1):
            at = START + timedelta(minutes=c * 7 + seq)
            kind = KINDS[seq % len(KINDS)].value
            text = f"Note by Sam Okafor: step {seq} of incident {c}, checked txn-01 /var"
            data = {"note": text, "user_id": 3, "seq": seq}
            entry_hash = hashlib.sha256(
                canonical(
                    chain=chain,
                    seq=seq,
                    at=at,
                    actor_id=None,
                    kind=kind,
                    text=text,
                    data=data,
                    prev_hash=prev,
                )
            ).hexdigest()
            rows.append(
                {
                    "chain": chain,
                    "seq": seq,
                    "at": at,
                    "actor_id": None,
                    "kind": kind,
                    "text": text,
                    "data": data,
                    "prev_hash": prev,
                    "entry_hash": entry_hash,
                }
            )
            prev = entry_hash
        heads.append({"chain": chain, "seq": per_chain, "entry_hash": prev})
    with database.session() as session:
        for start in range(0, len(rows), 10_000):
            session.execute(insert(TimelineEntry), rows[start : start + 10_000])
        session.execute(insert(TimelineHead), heads)


def measure(database: Database, runs: int) -> tuple[list[float], list[float], int]:
    timings, cpu = [], []
    checked = 0
    for _ in range(runs):
        with database.session(read_only=True) as session:
            started, started_cpu = time.perf_counter(), time.process_time()
            checked, breaks = verify_all(session)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            assert not breaks, breaks[:3]
    return timings, cpu, checked


def report(name: str, timings: list[float], cpu: list[float], checked: int, entries: int) -> None:
    # CPU time is this process's own work; on a busy machine it is the steadier figure, while
    # wall time also counts the database server and waiting for a core.
    print(
        f"{name:<11} {entries:>8} entries in {checked} chains: "
        f"wall best {min(timings):.2f} s, median {statistics.median(timings):.2f} s; "
        f"CPU best {min(cpu):.2f} s ({entries / min(timings):,.0f} entries/s wall)"
    )


def on_sqlite(entries: int, chains: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'takepoint.db'}")
        migrate.upgrade(database)
        fill(database, entries=entries, chains=chains)
        timings, cpu, checked = measure(database, runs)
        database.dispose()
    report("SQLite", timings, cpu, checked, entries)


def on_postgres(admin_url: str, entries: int, chains: int, runs: int) -> None:
    name = f"takepoint_bench_verify_{os.getpid()}"
    libpq = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(url)
        migrate.upgrade(database)
        fill(database, entries=entries, chains=chains)
        with psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
            autocommit=True,
        ) as conn:
            conn.execute("VACUUM ANALYZE timeline_entries")
        timings, cpu, checked = measure(database, runs)
        database.dispose()
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    report("PostgreSQL", timings, cpu, checked, entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--chains", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TAKEPOINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    on_sqlite(args.entries, args.chains, args.runs)
    if not args.no_postgres:
        on_postgres(args.postgres, args.entries, args.chains, args.runs)


if __name__ == "__main__":
    main()
