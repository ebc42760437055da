"""How late SLA warnings and breaches fire when many tickets' clocks run out at once.

    .venv/bin/python -m benchmarks.desk_sla [--tickets 100000] [--spread 120]

--tickets open tickets, each with a first-response clock of four minutes in calendar time, whose
warnings (at 75 %) and breaches fall due evenly over --spread seconds, and one real
`takepoint engine` on SQLite. Lateness is the claim's moment minus the deadline: for a breach,
`breached_at - due_at`; for a warning, the timeline entry's time minus the warning's deadline.

It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks.harness import percentile
from takepoint.desk.models import (
    Channel,
    Priority,
    Requester,
    Target,
    Ticket,
    TicketClock,
    TicketState,
    TicketType,
)
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.timeline.models import EntryKind, TimelineEntry, TimelineHead

TAKEPOINT = str(Path(sys.executable).with_name("takepoint"))
# Short, so that the breaches follow the warnings within a minute.
TARGET = timedelta(minutes=4)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name}: none"
    return (
        f"  {name}: n={len(values)} p50={percentile(values, 0.5):.0f}ms "
        f"p99={percentile(values, 0.99):.0f}ms max={max(values):.0f}ms"
    )


def seed(
    db: Database, *, tickets: int, first: datetime, spread: float, target: timedelta = TARGET
) -> dict[int, datetime]:
    """Tickets whose warnings fall due over the spread, each breach a quarter of the target
    later: both kinds arrive at the same rate while the engine works."""
    now = datetime.now(UTC)
    with db.session() as s:
        requester = Requester(name="Bench requester", created_at=now)
        s.add(requester)
        s.flush()
        s.execute(
            insert(Ticket),
            [
                {
                    "title": f"bench ticket {i}",
                    "description": "",
                    "requester_id": requester.id,
                    "type": TicketType.REQUEST,
                    "priority": Priority.P3,
                    "state": TicketState.OPEN,
                    "channel": Channel.API,
                    "created_at": now,
                    "updated_at": now,
                    "sla_reason": "bench",
                }
                for i in range(tickets)
            ],
        )
        ids = list(s.scalars(select(Ticket.id).order_by(Ticket.id)))
        warn = {tid: first + timedelta(seconds=spread * n / tickets) for n, tid in enumerate(ids)}
        s.execute(
            insert(TicketClock),
            [
                {
                    "ticket_id": tid,
                    "target": Target.FIRST_RESPONSE,
                    "target_seconds": int(target.total_seconds()),
                    "used_seconds": 0.0,
                    "running_since": at - target * 0.75,
                    "warn_at": at,
                    "due_at": at + target * 0.25,
                }
                for tid, at in warn.items()
            ],
        )
        s.execute(
            insert(TimelineHead),
            [{"chain": f"ticket:{tid}", "seq": 0, "entry_hash": "0" * 64} for tid in ids],
        )
    return warn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--spread", type=float, default=120.0)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="takepoint-desk-bench-"))
    db = Database(f"sqlite:///{data / 'takepoint.db'}")
    migrate.upgrade(db)
    started = time.perf_counter()
    # Warnings start 20 s from now and each breach follows its warning a minute later.
    first = datetime.now(UTC) + timedelta(seconds=20)
    warn = seed(db, tickets=args.tickets, first=first, spread=args.spread)
    print(f"seeded {args.tickets} tickets in {time.perf_counter() - started:.1f} s")
    last_due = max(warn.values()) + TARGET * 0.25
    engine = subprocess.Popen(
        [TAKEPOINT, "engine"],
        env={**os.environ, "TAKEPOINT_DATA_DIR": str(data), "TAKEPOINT_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while datetime.now(UTC) < last_due + timedelta(seconds=10):
            time.sleep(1)
            with db.session(read_only=True) as s:
                left = s.scalar(
                    select(func.count()).where(
                        TicketClock.breached_at.is_(None), TicketClock.due_at <= datetime.now(UTC)
                    )
                )
            if datetime.now(UTC) > last_due and left == 0 and _all_warned(db):
                break
    finally:
        engine.terminate()
        engine.wait(30)
    with db.session(read_only=True) as s:
        breaches = [
            (breached - due).total_seconds() * 1000
            for due, breached in s.execute(select(TicketClock.due_at, TicketClock.breached_at))
            if breached is not None and due is not None
        ]
        warnings = [
            (at - warn[int(chain.split(":")[1])]).total_seconds() * 1000
            for chain, at, data in s.execute(
                select(TimelineEntry.chain, TimelineEntry.at, TimelineEntry.data).where(
                    TimelineEntry.kind == EntryKind.SLA
                )
            )
            if not data.get("breached")
        ]
    print(f"SLA deadlines, {args.tickets} open tickets, warnings over {args.spread:.0f} s:")
    print(summary("warning lateness", warnings))
    print(summary("breach lateness", breaches))


def _all_warned(db: Database) -> bool:
    with db.session(read_only=True) as s:
        waiting = s.scalar(
            select(func.count()).where(
                TicketClock.warn_at.is_not(None), TicketClock.warn_at <= datetime.now(UTC)
            )
        )
    return waiting == 0


if __name__ == "__main__":
    main()
