"""How soon an engine on PostgreSQL hears of new work: NOTIFY to `on_wake`, through the server.

    .venv/bin/python -m benchmarks.pg_wake [--wakes 200]

It starts a `PgWakeListener` and a `PgWakeSender` on TAKEPOINT_BENCH_POSTGRES_URL (by default
the local server's `postgres` database; LISTEN/NOTIFY needs no tables), sends --wakes wake-ups
one after another, each waiting for the last to arrive, and prints min, median and p99 of the
time from the sender's call to the listener's `on_wake`, and of the sender's call alone (what a
request pays after its commit). The first wake-up, which opens the sender's connection, is
reported apart. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import time

from benchmarks.harness import percentile
from takepoint.lib.pg_wake import PgWakeListener, PgWakeSender

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LANES = ({"paging"}, {"delivery"}, None)


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name:<22} n={len(values)} min {min(values):.2f} ms, "
        f"median {statistics.median(values):.2f} ms, p99 {percentile(values, 0.99):.2f} ms, "
        f"max {max(values):.2f} ms"
    )


def measure(url: str, wakes: int) -> tuple[float, list[float], list[float]]:
    """The first wake-up's latency, then every later one's and the sender's call times, in ms."""
    arrivals: queue.Queue[float] = queue.Queue()
    listener = PgWakeListener(url, lambda lanes: arrivals.put(time.perf_counter()))
    sender = PgWakeSender(url)
    listener.start()
    latencies: list[float] = []
    calls: list[float] = []
    try:
        for index in range(wakes + 1):
            sent = time.perf_counter()
            sender(LANES[index % len(LANES)])
            returned = time.perf_counter()
            arrived = arrivals.get(timeout=5)
            latencies.append((arrived - sent) * 1000)
            calls.append((returned - sent) * 1000)
    finally:
        sender.close()
        listener.stop()
    return latencies[0], latencies[1:], calls[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wakes", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("TAKEPOINT_BENCH_POSTGRES_URL", DEFAULT_URL)
    first, latencies, calls = measure(url, args.wakes)
    print(f"first wake-up (opens the sender's connection): {first:.2f} ms")
    print(summary("NOTIFY -> on_wake", latencies))
    print(summary("sender call", calls))


if __name__ == "__main__":
    main()
