"""The engine loop: every job, in a fixed order, on a short tick or at once when triggered."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import text

from takepoint.engine import deliver, tasks
from takepoint.engine.models import EngineHeartbeat, TaskKind
from takepoint.lib import wake as wakes
from takepoint.lib.context import Context, bind
from takepoint.lib.db import Database
from takepoint.lib.deps import lanes_to_wake
from takepoint.lib.metrics import Metrics
from takepoint.lib.pg_wake import PgWakeListener
from takepoint.lib.registry import Job, Lane
from takepoint.lib.wake import WakeListener, wake_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LaneJobs:
    """Jobs that run one after another in one thread."""

    name: Lane
    jobs: list[Job]


def lanes_of(jobs: Sequence[Job]) -> list[LaneJobs]:
    # In the lanes' order, the paging lane first: its heartbeat is the engine's. Within a lane,
    # jobs keep the registry's order, so work that creates deliveries runs before sending.
    return [
        LaneJobs(lane, [job for job in jobs if job.lane is lane])
        for lane in Lane
        if any(job.lane is lane for job in jobs)
    ]


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Engine:
    """Runs every job of every lane. `run_cycle` runs them all once, in order (tests and
    benchmarks drive it with a fake clock); `run` gives each lane a thread of its own."""

    def __init__(
        self,
        *,
        db: Database,
        context: Context,
        tick_seconds: float,
        job_timeout_seconds: float,
        metrics: Metrics | None = None,
        jobs: Sequence[Job] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.clock = context.clock
        self.tick_seconds = tick_seconds
        self.job_timeout_seconds = job_timeout_seconds
        self.metrics = metrics
        # The registry's jobs, or (tests) a few of them.
        self.lanes = lanes_of(context.registry.jobs if jobs is None else jobs)
        self.worker_id = worker_id or new_worker_id()
        # What jobs need beyond the database: settings, the signing key, the registry.
        self.context = context.for_worker(self.worker_id)
        self.started_at = self.clock.now()
        self.cycles = 0
        self._wakes = {lane.name: threading.Event() for lane in self.lanes}

    @property
    def jobs(self) -> list[Job]:
        return [job for lane in self.lanes for job in lane.jobs]

    def trigger(self, lanes: Collection[str] | None = None) -> None:
        """Run the next cycle of these lanes (or every lane) now instead of at the next tick."""
        for name, wake in self._wakes.items():
            if lanes is None or name in lanes:
                wake.set()

    def run_cycle(self) -> dict[str, int]:
        started = time.perf_counter()
        done: dict[str, int] = {}
        for lane in self.lanes:
            done.update(self._run_lane_once(lane))
        self.cycles += 1
        self._record_heartbeat(self.worker_id, time.perf_counter() - started, self.cycles)
        return done

    def _run_lane_once(self, lane: LaneJobs, *, every_job: bool = True) -> dict[str, int]:
        started = time.perf_counter()
        wake: set[str] = set()
        done = {job.name: self._run_job(job, wake) for job in lane.jobs if every_job or job.on_wake}
        # Work this cycle committed for another lane (a page to deliver) starts at once.
        self.trigger(wake - {lane.name})
        if self.metrics is not None:
            self.metrics.engine_cycle.labels(lane.name).observe(time.perf_counter() - started)
        return done

    def _wait_for(self, lane: LaneJobs, until_tick: float) -> float:
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
                bind(session, self.context)
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
            bind(session, self.context)
            tasks.schedule(session, kind=TaskKind.HOUSEKEEPING, due_at=now, now=now, unique=True)

    def _listen(self) -> list[WakeListener | PgWakeListener]:
        # Web processes wake this engine when they leave it work: those on this host with a
        # datagram, and on PostgreSQL those on any host with a NOTIFY. Both are hints; the
        # tick finds whatever a lost one would have announced.
        listeners: list[WakeListener | PgWakeListener] = []
        folder = wake_dir(self.context.settings.data_dir)
        if (local := wakes.listen(folder, self.trigger)) is not None:
            listeners.append(local)
        if self.db.dialect == "postgresql":
            remote = PgWakeListener(self.db.url, self.trigger)
            remote.start()
            listeners.append(remote)
        return listeners

    def run(self, stop: threading.Event) -> None:
        self.prepare()
        listeners = self._listen()
        # Logged once it can be woken: tests wait for this line.
        log.info("engine %s started, tick %.2fs", self.worker_id, self.tick_seconds)
        others = [
            threading.Thread(target=self._run_lane, args=(lane, stop), name=f"engine-{lane.name}")
            for lane in self.lanes[1:]
        ]
        for thread in others:
            thread.start()
        self._run_lane(self.lanes[0], stop)
        for thread in others:
            thread.join()
        for listener in listeners:
            listener.stop()
        log.info("engine %s stopped after %d cycles", self.worker_id, self.cycles)

    def _run_lane(self, lane: LaneJobs, stop: threading.Event) -> None:
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
