"""10,000 SLA clocks run out while real engines are killed with SIGKILL: each warning and each
breach is recorded exactly once."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks.desk_sla import seed
from takepoint.desk.models import TicketClock
from takepoint.lib.db import Database
from takepoint.timeline.models import EntryKind, TimelineEntry
from tests.processes import TakepointProcess

pytestmark = pytest.mark.slow

TICKETS = 10_000
SPREAD_SECONDS = 20.0
# Each breach follows its warning by five seconds.
TARGET = timedelta(seconds=20)


def _fired(db: Database) -> tuple[int, int]:
    """Timeline entries for warnings and breaches, and clocks breached."""
    with db.session(read_only=True) as s:
        entries = s.scalar(select(func.count()).where(TimelineEntry.kind == EntryKind.SLA)) or 0
        breached = s.scalar(select(func.count()).where(TicketClock.breached_at.is_not(None))) or 0
    return entries, breached


def test_it_fires_every_warning_and_breach_once_through_repeated_sigkills(
    db: Database, tmp_path: Path
) -> None:
    # The engines run on the real clock; the deadlines start a few seconds from now.
    start = datetime.now(UTC) + timedelta(seconds=3)
    warn = seed(db, tickets=TICKETS, first=start, spread=SPREAD_SECONDS, target=TARGET)
    last_breach = max(warn.values()) + TARGET * 0.25
    env = {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
        "TAKEPOINT_ENGINE_TICK_SECONDS": "0.1",
    }
    rng = random.Random(20261203)
    # Kill while warnings are being written, then while breaches are.
    kills = sorted(rng.sample(range(500, 2 * TICKETS - 500), 4))
    for n, threshold in enumerate(kills):
        engine = TakepointProcess(["engine"], env=env, log=tmp_path / f"engine{n}.log")
        deadline = time.monotonic() + 300
        try:
            while _fired(db)[0] < threshold:
                assert time.monotonic() < deadline, engine.output()
                time.sleep(0.005)
        finally:
            engine.kill()
    survivor = TakepointProcess(["engine"], env=env, log=tmp_path / "survivor.log")
    try:
        deadline = time.monotonic() + 300
        while _fired(db) != (2 * TICKETS, TICKETS) or datetime.now(UTC) < last_breach:
            assert time.monotonic() < deadline, (_fired(db), survivor.output())
            time.sleep(0.2)
    finally:
        assert survivor.stop() == 0, survivor.output()
    with db.session(read_only=True) as s:
        per_chain = list(
            s.execute(
                select(TimelineEntry.chain, func.count())
                .where(TimelineEntry.kind == EntryKind.SLA)
                .group_by(TimelineEntry.chain)
            )
        )
        left = s.scalar(select(func.count()).where(TicketClock.warn_at.is_not(None)))
    assert len(per_chain) == TICKETS
    assert {count for _, count in per_chain} == {2}  # one warning and one breach each
    assert left == 0
