"""What SQLite's `synchronous=FULL` costs against `NORMAL`, to choose the default.

    .venv/bin/python -m benchmarks.sqlite_sync [--seconds 5] [--commits 300] [--rounds 2]

Two figures per mode, taken in alternating rounds (full, normal, full, normal) so that a busy
moment of the machine falls on both: ingest throughput of a real `takepoint web` (events are
group-committed, so one sync covers many), and the time of one small commit on its own (an
acknowledgement, a note), which pays a whole sync. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from benchmarks.harness import need, percentile, prepare, scratch, takepoint, wrk
from benchmarks.shapes import write_scripts
from takepoint.accounts.models import LoginAttempt
from takepoint.lib.db import SYNCHRONOUS, Database


def commit_ms(url: str, synchronous: str, commits: int) -> list[float]:
    """Milliseconds of each of `commits` one-row transactions, one after another."""
    database = Database(url, synchronous=synchronous)
    took = []
    try:
        for n in range(commits):
            started = time.perf_counter()
            with database.session() as session:
                session.add(
                    LoginAttempt(
                        email=f"bench{n}@example.org",
                        remote_addr="127.0.0.1",
                        attempted_at=datetime.now(UTC),
                        succeeded=True,
                    )
                )
            took.append((time.perf_counter() - started) * 1000)
    finally:
        database.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    need("wrk")
    rates: dict[str, list[float]] = {mode: [] for mode in SYNCHRONOUS}
    commits: dict[str, list[float]] = {mode: [] for mode in SYNCHRONOUS}
    for _ in range(args.rounds):
        for mode in SYNCHRONOUS:
            work = scratch(f"sync-{mode}")
            url = f"sqlite:///{work / 'takepoint.db'}"
            estate = prepare(url)
            scripts = write_scripts(work, estate)
            extra = {"TAKEPOINT_SQLITE_SYNCHRONOUS": mode}
            with takepoint(url, work, extra=extra) as (base, _pid):
                rates[mode].append(wrk(base, scripts["events"], args.seconds).rate)
            commits[mode] += commit_ms(url, mode, args.commits)
    print(f"{'mode':8} {'events/s (each round)':>28} {'commit p50':>11} {'commit p99':>11}")
    for mode in SYNCHRONOUS:
        each = ", ".join(f"{rate:,.0f}" for rate in rates[mode])
        p50, p99 = percentile(commits[mode], 0.5), percentile(commits[mode], 0.99)
        print(f"{mode:8} {each:>28} {p50:>9.2f} ms {p99:>9.2f} ms")


if __name__ == "__main__":
    main()
