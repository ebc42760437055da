"""Two real `takepoint engine` processes on one database never run the same task twice."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from takepoint.engine.models import EngineHeartbeat, EngineTask, TaskState
from takepoint.engine.tasks import schedule
from takepoint.lib.db import Database
from tests.processes import TakepointProcess

pytestmark = pytest.mark.slow


def test_it_runs_each_task_exactly_once_with_two_engines(db: Database, tmp_path: Path) -> None:
    env = {**os.environ, "TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_ENGINE_TICK_SECONDS": "0.1"}
    engines = [
        TakepointProcess(["engine"], env=env, log=tmp_path / f"engine{i}.log") for i in range(2)
    ]
    try:
        # Both engines must be up before work arrives, or the first could take it all.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.session(read_only=True) as session:
                pids = session.scalar(select(func.count(func.distinct(EngineHeartbeat.pid))))
            if pids == 2:
                break
            time.sleep(0.1)
        total = 0
        # Work arrives in bursts while both engines are polling, so both compete for it.
        for _ in range(20):
            now = datetime.now(UTC)
            with db.session() as session:
                for _ in range(40):
                    schedule(session, kind="engine.probe", due_at=now, now=now)
            total += 40
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.session(read_only=True) as session:
                pending = session.scalar(
                    select(func.count()).where(
                        EngineTask.kind == "engine.probe", EngineTask.state != TaskState.DONE
                    )
                )
            if pending == 0:
                break
            time.sleep(0.1)
    finally:
        codes = [engine.stop() for engine in engines]
    with db.session(read_only=True) as session:
        rows = session.execute(
            select(EngineTask.state, EngineTask.attempts, EngineTask.done_by).where(
                EngineTask.kind == "engine.probe"
            )
        ).all()
    assert len(rows) == total
    assert {(state, attempts) for state, attempts, _ in rows} == {(TaskState.DONE, 1)}
    by_worker = Counter(done_by for _, _, done_by in rows)
    assert len(by_worker) == 2, f"both engines should have taken work, got {dict(by_worker)}"
    assert codes == [0, 0], [engine.output() for engine in engines]
