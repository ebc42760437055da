"""The engine loop: every job, in a fixed order, on a short tick or at once when triggered."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from takepoint.engine import (
    action_items,
    deliver,
    escalate,
    handoffs,
    heartbeats,
    shift_notices,
    tasks,
    triage,
)
from takepoint.engine.models import EngineHeartbeat
from takepoint.lib.clock import Clock
from takepoint.lib.db import Database
from takepoint.lib.deps import DELIVERY, PAGING, lanes_to_wake
from takepoint.lib.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run_once: Callable[[Session, datetime], int]
    # When the job's next deadline falls, so the loop can wake for it instead of at a tick.
    next_due: Callable[[Session], datetime | None] | None = None
    # Jobs that act on new work (alerts to place, pages to send, deadlines) run every time the
    # lane wakes; the others keep time (late heartbeats, reminders) and run once per tick, so a
    # burst of wake-ups does not repeat them.
    on_wake: bool = False
    # How much one run takes on at most: a run that took this much may have left more (a
    # storm's alerts), so the lane goes again at once instead of waiting to be woken.
    batch: int | None = None


@dataclass(frozen=True)
class Lane:
    """Jobs that run one after another in one thread. Delivery has a lane of its own so that a
    slow mail server never delays an escalation."""

    name: str
    jobs: list[Job]


def default_lanes() -> list[Lane]:
    # The order matters: work that creates deliveries runs before the job that sends them.
    return [
        Lane(
            PAGING,
            [
                Job("heartbeats", heartbeats.run_once),
                Job("triage", triage.run_once, on_wake=True, batch=triage.BATCH),
                Job(
                    "escalate",
                    escalate.run_once,
                    escalate.next_due,
                    on_wake=True,
                    batch=escalate.BATCH,
                ),
                Job("close_finished", triage.close_finished),
                Job("handoffs", handoffs.run_once),
                Job("tasks", tasks.run_once),
                Job("shift_notices", shift_notices.run_once),
                Job("action_items", action_items.run_once),
            ],
        ),
        Lane(
            DELIVERY,
            [
                Job(
                    "deliver",
                    deliver.run_once,
                    deliver.next_due,
                    on_wake=True,
                    batch=deliver.BATCH,
                )
            ],
        ),
    ]


def default_jobs() -> list[Job]:
    return [job for lane in default_lanes() for job in lane.jobs]


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Engine:
    """Runs every job of every lane. `run_cycle` runs them all once, in order (tests and
    benchmarks drive it with a fake clock); `run` gives each lane a thread of its own."""

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
        session_info: dict[str, object] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.job_timeout_seconds = job_timeout_seconds
        self.metrics = metrics
        self.lanes = [Lane("main", jobs)] if jobs is not None else default_lanes()
        self.worker_id = worker_id or new_worker_id()
        # What jobs need beyond the database: settings, the signing key, the public address.
        self.session_info = session_info or {}
        self.started_at = clock.now()
        self.cycles = 0
        self._wakes = {lane.name: threading.Event() for lane in self.lanes}

    @property
    def jobs(self) -> list[Job]:
        return [job for lane in self.lanes for job in lane.jobs]

    def trigger(self, lanes: Collection[str] | None = None) -> None:
        """Run the next cycle of these lanes (or every lane) now instead of at the next tick."""
        for name, wake in self._wakes.items():
            # An engine given its own jobs has one lane, and it runs for any work.
            if lanes is None or name in lanes or len(self._wakes) == 1:
                wake.set()

    def run_cycle(self) -> dict[str, int]:
        started = time.perf_counter()
        done: dict[str, int] = {}
        for lane in self.lanes:
            done.update(self._run_lane_once(lane))
        self.cycles += 1
        self._record_heartbeat(self.worker_id, time.perf_counter() - started, self.cycles)
        return done

    def _run_lane_once(self, lane: Lane, *, every_job: bool = True) -> dict[str, int]:
        started = time.perf_counter()
        wake: set[str] = set()
        done = {job.name: self._run_job(job, wake) for job in lane.jobs if every_job or job.on_wake}
        # Work this cycle committed for another lane (a page to deliver) starts at once.
        self.trigger(wake - {lane.name})
        if self.metrics is not None:
            self.metrics.engine_cycle.labels(lane.name).observe(time.perf_counter() - started)
        return done

    def _wait_for(self, lane: Lane, until_tick: float) -> float:
        """Seconds until the lane should run again: the tick, or sooner for a due deadline."""
        wait = until_tick
        due_times = []
        try:
            # Each look-ahead is one statement on its own; no transaction around them.
            with self.db.autocommit_session() as session:
                for job in lane.jobs:
                    if job.next_due is None or not job.on_wake:
                        continue
                    if (due := job.next_due(session)) is not None:
                        due_times.append(due)
        except Exception:  # the job boundary: a failed look-ahead falls back to the tick
            log.exception("engine lane %s could not read its next deadline", lane.name)
        if due_times:
            wait = min(wait, (min(due_times) - self.clock.now()).total_seconds())
        return max(wait, 0.0)

    def _run_job(self, job: Job, wake: set[str]) -> int:
        started = time.perf_counter()
        count = 0
        try:
            with self.db.session() as session:
                session.info.update(self.session_info)
                session.info["engine_worker"] = self.worker_id
                if self.db.dialect == "postgresql":
                    timeout_ms = int(self.job_timeout_seconds * 1000)
                    session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
                count = job.run_once(session, self.clock.now())
            wake |= lanes_to_wake(session)
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

    def _record_heartbeat(self, worker_id: str, elapsed: float, cycles: int) -> None:
        try:
            with self.db.session() as session:
                row = session.get(EngineHeartbeat, worker_id)
                if row is None:
                    row = EngineHeartbeat(
                        worker_id=worker_id,
                        hostname=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=self.started_at,
                    )
                    session.add(row)
                row.last_cycle_at = self.clock.now()
                row.last_cycle_ms = round(elapsed * 1000, 3)
                row.cycles = cycles
        except Exception:  # the job boundary again: a missed heartbeat shows in /healthz
            log.exception("engine heartbeat failed")

    def prepare(self) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            tasks.schedule(session, kind="engine.housekeeping", due_at=now, now=now, unique=True)

    def run(self, stop: threading.Event) -> None:
        log.info("engine %s started, tick %.2fs", self.worker_id, self.tick_seconds)
        self.prepare()
        others = [
            threading.Thread(target=self._run_lane, args=(lane, stop), name=f"engine-{lane.name}")
            for lane in self.lanes[1:]
        ]
        for thread in others:
            thread.start()
        self._run_lane(self.lanes[0], stop)
        for thread in others:
            thread.join()
        log.info("engine %s stopped after %d cycles", self.worker_id, self.cycles)

    def _run_lane(self, lane: Lane, stop: threading.Event) -> None:
        # The first lane's heartbeat is the engine's; other lanes report under their own name,
        # so a stuck delivery lane shows in /metrics and /healthz's worker list.
        worker = self.worker_id if lane is self.lanes[0] else f"{self.worker_id}/{lane.name}"
        wake = self._wakes[lane.name]
        cycles = 0
        last_tick = -self.tick_seconds
        while not stop.is_set():
            started = time.perf_counter()
            tick = started - last_tick >= self.tick_seconds
            done = self._run_lane_once(lane, every_job=tick)
            cycles += 1
            if lane is self.lanes[0]:
                self.cycles = cycles
            if tick:
                last_tick = started
                self._record_heartbeat(worker, time.perf_counter() - started, cycles)
            if any(job.batch and done.get(job.name, 0) >= job.batch for job in lane.jobs):
                continue
            until_tick = last_tick + self.tick_seconds - time.perf_counter()
            wake.wait(self._wait_for(lane, until_tick))
            wake.clear()
        # Connections are per thread; this one is ending.
        deliver.close_connections()


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
