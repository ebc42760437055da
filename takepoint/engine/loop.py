"""The engine loop: every job, in a fixed order, on a short tick or at once when triggered."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from takepoint.engine import tasks
from takepoint.engine.models import EngineHeartbeat
from takepoint.lib.clock import Clock
from takepoint.lib.db import Database
from takepoint.lib.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run_once: Callable[[Session, datetime], int]


def default_jobs() -> list[Job]:
    # The order matters: work that creates deliveries runs before the job that sends them.
    return [
        Job("tasks", tasks.run_once),
    ]


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Engine:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        tick_seconds: float,
        job_timeout_seconds: float,
        metrics: Metrics | None = None,
        jobs: list[Job] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.job_timeout_seconds = job_timeout_seconds
        self.metrics = metrics
        self.jobs = jobs if jobs is not None else default_jobs()
        self.worker_id = worker_id or new_worker_id()
        self.started_at = clock.now()
        self.cycles = 0
        self._wake = threading.Event()

    def trigger(self) -> None:
        """Run the next cycle now instead of at the next tick."""
        self._wake.set()

    def run_cycle(self) -> dict[str, int]:
        started = time.perf_counter()
        done: dict[str, int] = {}
        for job in self.jobs:
            done[job.name] = self._run_job(job)
        elapsed = time.perf_counter() - started
        self.cycles += 1
        self._record_heartbeat(elapsed)
        if self.metrics is not None:
            self.metrics.engine_cycle.observe(elapsed)
        return done

    def _run_job(self, job: Job) -> int:
        started = time.perf_counter()
        count = 0
        try:
            with self.db.session() as session:
                session.info["engine_worker"] = self.worker_id
                if self.db.dialect == "postgresql":
                    timeout_ms = int(self.job_timeout_seconds * 1000)
                    session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
                count = job.run_once(session, self.clock.now())
        except Exception:  # the job boundary: log, and let the next job and cycle run
            log.exception("engine job %s failed", job.name)
            if self.metrics is not None:
                self.metrics.engine_job_errors.labels(job.name).inc()
        elapsed = time.perf_counter() - started
        if elapsed > self.job_timeout_seconds:
            log.warning("engine job %s took %.1fs", job.name, elapsed)
        if self.metrics is not None:
            self.metrics.engine_job.labels(job.name).observe(elapsed)
        return count

    def _record_heartbeat(self, elapsed: float) -> None:
        try:
            with self.db.session() as session:
                row = session.get(EngineHeartbeat, self.worker_id)
                if row is None:
                    row = EngineHeartbeat(
                        worker_id=self.worker_id,
                        hostname=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=self.started_at,
                    )
                    session.add(row)
                row.last_cycle_at = self.clock.now()
                row.last_cycle_ms = round(elapsed * 1000, 3)
                row.cycles = self.cycles
        except Exception:  # the job boundary again: a missed heartbeat shows in /healthz
            log.exception("engine heartbeat failed")

    def prepare(self) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            tasks.schedule(session, kind="engine.housekeeping", due_at=now, now=now, unique=True)

    def run(self, stop: threading.Event) -> None:
        log.info("engine %s started, tick %.2fs", self.worker_id, self.tick_seconds)
        self.prepare()
        while not stop.is_set():
            self.run_cycle()
            self._wake.wait(self.tick_seconds)
            self._wake.clear()
        log.info("engine %s stopped after %d cycles", self.worker_id, self.cycles)


class EngineThread:
    """Runs an engine beside the web server in one process (`takepoint up`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=engine.run, args=(self._stop,), name="engine")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.engine.trigger()
        self._thread.join(timeout)
