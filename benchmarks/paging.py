"""Paging speed of a real Takepoint: from an event's POST to the page in a mail server, and how
late escalations fire when thousands fall due.

    .venv/bin/python -m benchmarks.paging [--events 500] [--rate 50] [--busy 0]
        [--incidents 10000] [--spread 60]

1. Page latency: `takepoint up` on SQLite, a loopback SMTP server, PagerDuty events posted at
   --rate per second, each opening its own incident. Latency is from just before the POST to
   the moment the SMTP server has the message. Also printed: the server's CPU per event (the
   steadier measure on a shared machine) and, with --busy N, the same beside N CPU-bound
   processes.
2. Escalation lateness: --incidents open incidents whose next escalation falls due over
   --spread seconds, and one `takepoint engine`. Lateness is measured twice: when the engine
   paged (the page's outbox row) and when the SMTP server received the email.

It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import psutil
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

from benchmarks.harness import percentile
from takepoint.accounts.models import Role, User
from takepoint.catalog.models import Service
from takepoint.incidents.models import Incident, IncidentSource, IncidentState
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.notify.models import Notification, Urgency
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import IntegrationKind
from takepoint.timeline.models import TimelineHead

TAKEPOINT = str(Path(sys.executable).with_name("takepoint"))


class Inbox:
    """A loopback SMTP server that notes when each message arrived, by subject."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = str(message_from_bytes(envelope.content)["Subject"])
        with self.lock:
            self.arrived.setdefault(subject, time.monotonic())
        return "250 OK"

    def wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrived) < count and time.monotonic() < deadline:
            time.sleep(0.05)


def summary(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"{name}: no samples"
    return (
        f"{name}: n={len(values)} p50={percentile(values, 0.5):.1f}{unit} "
        f"p99={percentile(values, 0.99):.1f}{unit} max={max(values):.1f}{unit}"
    )


def seed(db: Database, now: datetime) -> tuple[Service, User]:
    migrate.upgrade(db)
    with db.session() as s:
        user = User(
            email="oncall@bench.example",
            display_name="On call",
            role=Role.RESPONDER,
            time_zone="UTC",
            created_at=now,
        )
        service = Service(
            slug="bench",
            name="Bench service",
            tier=1,
            created_at=now,
            updated_at=now,
            tech_lead=user,
        )
        s.add_all([user, service])
        s.flush()
        return service, user


def env_for(data: Path, inbox: Inbox) -> dict[str, str]:
    return {
        **os.environ,
        "TAKEPOINT_DATA_DIR": str(data),
        "TAKEPOINT_SMTP_HOST": "127.0.0.1",
        "TAKEPOINT_SMTP_PORT": str(inbox.port),
        "TAKEPOINT_LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class PageRun:
    latencies: list[float]  # ms, POST to SMTP, one per page received
    cpu_ms: float  # the server's CPU (all threads) per event, above its idle use
    sent_rate: float  # events/s the client managed (it sends one at a time)


def _busy_loop() -> None:
    while True:
        pass


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def page_latency(events: int, rate: float, *, busy: int = 0) -> PageRun:
    """With `busy`, that many CPU-bound processes run beside it, as on a machine that is doing
    other work: on two cores, two of them leave Takepoint about half a core's share."""
    inbox = Inbox()
    inbox.controller.start()
    data = Path(tempfile.mkdtemp(prefix="takepoint-bench-"))
    db = Database(f"sqlite:///{data / 'takepoint.db'}")
    service, _ = seed(db, datetime.now(UTC))
    with db.session() as s:
        _, key = create_integration(
            s, service=s.merge(service), kind=IntegrationKind.PAGERDUTY, now=datetime.now(UTC)
        )
    db.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [TAKEPOINT, "up", "--port", str(port)],
        env=env_for(data, inbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sent: dict[str, float] = {}
    neighbours = [multiprocessing.Process(target=_busy_loop, daemon=True) for _ in range(busy)]
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        process = psutil.Process(server.pid)
        idle_from = _cpu_seconds(process)
        time.sleep(2.0)
        idle_per_second = (_cpu_seconds(process) - idle_from) / 2.0
        for neighbour in neighbours:
            neighbour.start()
        with httpx.Client(base_url=base) as client:
            cpu_from, start = _cpu_seconds(process), time.monotonic()
            for i in range(events):
                target = start + i / rate
                time.sleep(max(0.0, target - time.monotonic()))
                title = f"bench event {i}"
                sent[title] = time.monotonic()
                response = client.post(
                    "/v2/enqueue",
                    json={
                        "routing_key": key,
                        "event_action": "trigger",
                        "dedup_key": f"e{i}",
                        "payload": {"summary": title, "source": "bench", "severity": "critical"},
                    },
                )
                if response.status_code != 202:
                    raise SystemExit(f"event {i} got {response.status_code}: {response.text}")
            sent_rate = events / (time.monotonic() - start)
        inbox.wait(events, timeout=60)
        elapsed = time.monotonic() - start
        cpu = _cpu_seconds(process) - cpu_from - idle_per_second * elapsed
    finally:
        for neighbour in neighbours:
            neighbour.kill()
        server.terminate()
        server.wait(30)
        inbox.controller.stop()
    latencies = []
    for subject, arrived in inbox.arrived.items():
        title = subject.split("] #", 1)[-1].split(" ", 1)[-1]
        if title in sent:
            latencies.append((arrived - sent[title]) * 1000)
    return PageRun(latencies, cpu * 1000 / events, sent_rate)


def page_summary(run: PageRun) -> str:
    return (
        summary("latency", run.latencies)
        + f"; sent {run.sent_rate:.0f}/s; server CPU {run.cpu_ms:.1f} ms per event"
    )


def escalation_lateness(incidents: int, spread: float) -> tuple[list[float], list[float]]:
    inbox = Inbox()
    inbox.controller.start()
    data = Path(tempfile.mkdtemp(prefix="takepoint-bench-"))
    db = Database(f"sqlite:///{data / 'takepoint.db'}")
    now = datetime.now(UTC)
    service, user = seed(db, now)
    first_due = now + timedelta(seconds=15)
    due: dict[int, datetime] = {}
    snapshot = {
        "policy_id": None,
        "name": "bench",
        "repeat": 0,
        "no_progress_minutes": 30,
        "levels": [
            {
                "delay_minutes": 60,
                "targets": [{"kind": "user", "user_id": user.id, "label": "On call"}],
            }
        ],
    }
    rows = [
        {
            "service_id": service.id,
            "title": f"bench incident {i}",
            "description": "",
            "urgency": Urgency.HIGH,
            "state": IncidentState.TRIGGERED,
            "source": IncidentSource.WEB,
            "opened_at": now,
            "resolution_note": "",
            "caller_name": "",
            "policy_snapshot": snapshot,
            "level_index": 0,
            "repeats_done": 0,
            "nudge_stage": 0,
            "last_activity_at": now,
            "next_escalation_at": first_due + timedelta(seconds=spread * i / incidents),
        }
        for i in range(incidents)
    ]
    with db.session() as s:
        s.execute(insert(Incident), rows)
        for incident_id, at in s.execute(select(Incident.id, Incident.next_escalation_at)):
            if at is not None:
                due[incident_id] = at
        s.execute(
            insert(TimelineHead),
            [{"chain": f"incident:{i}", "seq": 0, "entry_hash": "0" * 64} for i in due],
        )
    engine = subprocess.Popen(
        [TAKEPOINT, "engine"],
        env=env_for(data, inbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        inbox.wait(incidents, timeout=spread + 120)
    finally:
        engine.terminate()
        engine.wait(30)
        inbox.controller.stop()
    fired = []
    with db.session(read_only=True) as s:
        for paged_id, created in s.execute(
            select(Notification.incident_id, Notification.created_at)
        ):
            if paged_id is not None and paged_id in due:
                fired.append((created - due[paged_id]).total_seconds() * 1000)
        paged = s.scalar(select(func.count()).select_from(Notification)) or 0
    wall_due = {f"bench incident {i - min(due)}": v for i, v in due.items()}
    mono_offset = time.monotonic() - datetime.now(UTC).timestamp()
    received = []
    for subject, arrived in inbox.arrived.items():
        title = subject.split("] #", 1)[-1].split(" ", 1)[-1]
        if title in wall_due:
            received.append((arrived - mono_offset - wall_due[title].timestamp()) * 1000)
    print(f"  pages queued: {paged}, emails received: {len(inbox.arrived)}")
    db.dispose()
    return fired, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument(
        "--busy", type=int, default=0, help="CPU-bound processes to run beside the server"
    )
    args = parser.parse_args()
    beside = f", {args.busy} busy processes beside" if args.busy else ""
    print(f"Page latency, {args.events} events at {args.rate:.0f}/s{beside}, POST to SMTP:")
    print("  " + page_summary(page_latency(args.events, args.rate, busy=args.busy)))
    print(f"Escalation lateness, {args.incidents} incidents due over {args.spread:.0f} s:")
    fired, received = escalation_lateness(args.incidents, args.spread)
    print("  " + summary("engine paged", fired))
    print("  " + summary("email received", received))


if __name__ == "__main__":
    main()
