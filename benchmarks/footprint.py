"""Memory of `takepoint up` (web, API and engine in one process): idle, and at a steady 1,000
PagerDuty events per second."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.harness import Estate, takepoint, wrk
from benchmarks.shapes import write_paced

RATE = 1000
PACED_CONNECTIONS = 250


@dataclass(frozen=True)
class Footprint:
    idle_mb: float
    loaded_mb: float
    loaded_rate: float
    bad: int


def _rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def measure(work: Path, estate: Estate, seconds: float, settle: float = 5.0) -> Footprint:
    # Each connection waits this long between requests; with the answer's own latency on top,
    # together they send about RATE/s. The rate reached is reported beside the figure.
    delay_ms = int(0.8 * 1000 * PACED_CONNECTIONS / RATE)
    script = write_paced(work, estate, delay_ms)
    with takepoint(estate.url, work, command="up") as (url, pid):
        time.sleep(settle)
        idle = _rss_mb(pid)
        peak = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak.append(_rss_mb(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            load = wrk(url, script, seconds, connections=PACED_CONNECTIONS)
        finally:
            done.set()
            sampler.join(5)
    return Footprint(idle_mb=idle, loaded_mb=max(peak), loaded_rate=load.rate, bad=load.bad)
