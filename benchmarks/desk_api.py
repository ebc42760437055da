"""Tickets opened through the API: server CPU per ticket, tickets per second and latency.

    .venv/bin/python -m benchmarks.desk_api [--tickets 5000] [--connections 8] [--seconds 120]

A real `takepoint web` on SQLite in a fresh data folder: migrated, one SLA rule that matches
every ticket (so each ticket starts its first-response and resolution clocks), 1,000
requesters and a responder with a write token. A client in a separate process sends
POST /api/v1/tickets with that bearer token over --connections keep-alive connections until
--tickets tickets are open or --seconds run out; the first 100 warm up and are not counted.

Server CPU is the web process's user + system time (all its threads), read
before and after, divided by the tickets opened: on two cores shared with the client and with
other work that is the steady figure. Tickets per second is the count over the client's wall
time, and latency is each request as the client saw it. It measures; it is not a test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context

import httpx
from sqlalchemy import func, insert, select

from benchmarks.harness import cpu_seconds, percentile, scratch, takepoint
from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, TokenScope
from takepoint.desk.models import Requester, SlaRule, Ticket
from takepoint.lib import migrate
from takepoint.lib.db import Database

REQUESTERS = 1_000
WARM_UP = 100


def prepare(url: str) -> str:
    """A migrated database with an SLA rule, requesters and a responder; returns their token."""
    database = Database(url)
    migrate.upgrade(database)
    now = datetime.now(UTC)
    with database.session() as session:
        agent = accounts.create_user(
            session, email="agent@example.org", display_name="Agent", role=Role.RESPONDER, now=now
        )
        _, token = accounts.create_api_token(
            session, user=agent, name="bench", scope=TokenScope.WRITE, now=now
        )
        session.add(
            SlaRule(
                name="Everything", position=1, first_response_minutes=60, resolution_minutes=480
            )
        )
        session.execute(
            insert(Requester),
            [{"name": f"Requester {n}", "created_at": now} for n in range(1, REQUESTERS + 1)],
        )
    database.dispose()
    return token


@dataclass(frozen=True)
class Sent:
    latencies_ms: list[float]
    refused: int  # answers other than 201
    seconds: float


def send(base: str, token: str, count: int, connections: int, seconds: float) -> Sent:
    """Runs in the client process: `count` tickets over `connections` threads, each with its own
    keep-alive connection, stopping early when `seconds` run out."""
    numbers = itertools.count()
    latencies: list[float] = []
    refused = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while (n := next(numbers)) < count and time.monotonic() < deadline:
                body = {
                    "requester_id": 1 + n % REQUESTERS,
                    "title": f"Printer on ward {n % 40} jams (call {n})",
                    "description": "Paper jam in tray 2; the display says E-04.",
                    "tags": ["printing"],
                }
                started = time.perf_counter()
                answer = client.post("/api/v1/tickets", json=body)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    refused[0] += answer.status_code != 201

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        for future in [pool.submit(work) for _ in range(connections)]:
            future.result()
    return Sent(latencies, refused[0], time.perf_counter() - started)


def opened_tickets(url: str) -> int:
    database = Database(url)
    with database.session(read_only=True) as session:
        found = session.scalar(select(func.count()).select_from(Ticket)) or 0
    database.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120, help="longest time sending")
    args = parser.parse_args()
    work = scratch("bench-desk-api")
    url = f"sqlite:///{work / 'takepoint.db'}"
    token = prepare(url)
    client = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
    with client, takepoint(url, work) as (base, pid):
        client.submit(send, base, token, WARM_UP, args.connections, args.seconds).result()
        load = os.getloadavg()[0]
        before = cpu_seconds(pid)
        sent = client.submit(
            send, base, token, args.tickets, args.connections, args.seconds
        ).result()
        cpu = cpu_seconds(pid) - before
    opened = opened_tickets(url) - WARM_UP
    done = len(sent.latencies_ms) - sent.refused
    latency = sent.latencies_ms
    print(
        f"{opened:,} tickets opened ({sent.refused} refused) in {sent.seconds:.1f} s over "
        f"{args.connections} connections; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(
        f"  {done / sent.seconds:,.0f} tickets/s; latency p50 {percentile(latency, 0.5):.1f} ms, "
        f"p99 {percentile(latency, 0.99):.1f} ms, max {max(latency):.1f} ms"
    )
    print(f"  server CPU {cpu:.1f} s: {cpu / max(opened, 1) * 1000:.2f} ms per ticket")


if __name__ == "__main__":
    main()
