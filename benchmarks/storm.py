"""The worst day: an alert storm into `takepoint up` (web, API and engine in one process).

Alerts from many sources across 50 services arrive as Alertmanager groups of 100, each group
once, as fast as a separate sending process with 32 connections gets answers (wrk cannot say
which request got which answer; this sender can, so the "nothing lost" check is exact). Every
service groups alerts into one incident per time window, so the incidents opened should stay
near 50, not one per alert. Measured: time from the first request to the first page in a
loopback mail server, incidents opened, pages sent, peak RSS, 5xx answers, and whether every
alert of every 2xx answer is in the database afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import func, select

from benchmarks.harness import TAKEPOINT, free_port, process, scratch, wait_http
from benchmarks.paging import Inbox, env_for, seed
from takepoint.catalog.models import Service
from takepoint.incidents.models import Grouping, Incident, ServicePaging
from takepoint.lib.db import Database
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import Alert, IntegrationKind

SERVICES = 50
PER_REQUEST = 100

SENDERS = 32  # concurrent connections of the sending process


@dataclass(frozen=True)
class Storm:
    alerts: int
    sources: int
    seconds_to_send: float
    first_page_seconds: float | None
    incidents: int
    pages: int
    peak_rss_mb: float
    requests: int
    fivexx: int
    twoxx: int
    other: int
    alerts_stored: int
    events_stored: int
    all_stored: bool


def _prepare(work: Path, alerts: int, sources: int) -> tuple[list[str], int]:
    db = Database(f"sqlite:///{work / 'takepoint.db'}")
    now = datetime.now(UTC)
    first, user = seed(db, now)
    keys = []
    with db.session() as session:
        services = [session.merge(first)]
        for n in range(1, SERVICES):
            service = Service(
                slug=f"svc-{n}", name=f"Service {n}", tier=2, created_at=now, updated_at=now
            )
            service.tech_lead_id = user.id
            session.add(service)
            services.append(service)
        session.flush()
        for service in services:
            session.add(
                ServicePaging(
                    service_id=service.id, grouping=Grouping.TIME_WINDOW, group_window_minutes=60
                )
            )
            keys.append(
                create_integration(
                    session, service=service, kind=IntegrationKind.ALERTMANAGER, now=now
                )[1]
            )
    db.dispose()
    # Alert n comes from source n % sources, which belongs to service source % SERVICES.
    requests = alerts // PER_REQUEST
    for index in range(requests):
        group = []
        for n in range(index * PER_REQUEST, (index + 1) * PER_REQUEST):
            source = n % sources
            group.append(
                {
                    "status": "firing",
                    "labels": {
                        "alertname": f"Check{n // sources}",
                        "instance": f"host-{source:04d}",
                        "severity": "critical",
                    },
                    "annotations": {"summary": f"check {n // sources} failing on {source}"},
                    "startsAt": "2026-03-02T08:55:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": f"storm-{n:07d}",
                }
            )
        body = {"version": "4", "status": "firing", "receiver": "takepoint", "alerts": group}
        (work / f"storm-{index + 1}.json").write_text(json.dumps(body))
    return keys, requests


def _stored(work: Path) -> tuple[int, int, int]:
    db = Database(f"sqlite:///{work / 'takepoint.db'}")
    with db.session(read_only=True) as session:
        alerts = session.scalar(select(func.count()).select_from(Alert)) or 0
        events = session.scalar(select(func.sum(Alert.event_count))) or 0
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    db.dispose()
    return alerts, events, incidents


def run(alerts: int, sources: int, limit: float, settle: float) -> Storm:
    """Send the storm (for at most `limit` seconds), then give the engine up to `settle`
    seconds to page before counting."""
    work = scratch("bench-storm")
    keys, requests = _prepare(work, alerts, sources)
    inbox = Inbox()
    inbox.controller.start()
    port = free_port()
    peak = [0.0]
    try:
        with process(
            [TAKEPOINT, "up", "--port", str(port)],
            env=env_for(work, inbox),
            log=work / "server.log",
        ) as pid:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/healthz", timeout=60)
            done = threading.Event()

            def sample() -> None:
                server = psutil.Process(pid)
                while not done.wait(0.2):
                    peak[0] = max(peak[0], server.memory_info().rss / 2**20)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            first_sent, statuses = _send(url, work, keys, requests, limit)
            sent = time.monotonic() - first_sent
            deadline = time.monotonic() + settle
            while not inbox.arrived and time.monotonic() < deadline:
                time.sleep(0.1)
            # Let triage finish (or the time run out) so the counts are the storm's whole.
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            done.set()
            sampler.join(5)
    finally:
        inbox.controller.stop()
    first = min(inbox.arrived.values(), default=None)
    stored = _stored(work)
    accepted = [n for n, status in statuses.items() if 200 <= status < 300]
    missing = _missing(work, accepted)
    return Storm(
        alerts=requests * PER_REQUEST,
        sources=sources,
        seconds_to_send=sent,
        first_page_seconds=None if first is None else first - first_sent,
        incidents=stored[2],
        pages=len(inbox.arrived),
        peak_rss_mb=peak[0],
        requests=len(statuses),
        fivexx=sum(1 for status in statuses.values() if status >= 500),
        twoxx=len(accepted),
        other=sum(1 for status in statuses.values() if not 200 <= status < 300 and status < 500),
        alerts_stored=stored[0],
        events_stored=stored[1],
        all_stored=not missing,
    )


def _missing(work: Path, accepted: list[int]) -> int:
    """How many alerts of the groups answered 2xx are not in the database."""
    db = Database(f"sqlite:///{work / 'takepoint.db'}")
    with db.session(read_only=True) as session:
        present = set(session.scalars(select(Alert.dedup_key)))
    db.dispose()
    wanted = {
        f"storm-{n:07d}"
        for index in accepted
        for n in range(index * PER_REQUEST, (index + 1) * PER_REQUEST)
    }
    return len(wanted - present)


def _send(
    url: str, work: Path, keys: list[str], requests: int, limit: float
) -> tuple[float, dict[int, int]]:
    """Runs the sending process; returns when it sent its first request (on this machine's
    monotonic clock, which every process shares) and each group's answer (0: none within the
    limit). Timing from the first request leaves the sender's own start-up out."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.storm", url, str(work), ",".join(keys), str(requests)],
        capture_output=True,
        text=True,
        timeout=limit + 60,
        check=True,
        env={**os.environ, "STORM_LIMIT": str(limit)},
    ).stdout
    report = json.loads(out)
    return report["first_sent"], {int(n): status for n, status in report["statuses"].items()}


async def _post_all(
    url: str, work: Path, keys: list[str], requests: int, limit: float
) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    pending = list(range(requests))
    deadline = time.monotonic() + limit
    first_sent: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def sender() -> None:
            while pending and time.monotonic() < deadline:
                index = pending.pop(0)
                body = (work / f"storm-{index + 1}.json").read_bytes()
                path = f"/integrations/{keys[index % len(keys)]}/alertmanager"
                if not first_sent:
                    first_sent.append(time.monotonic())
                try:
                    response = await client.post(
                        path, content=body, headers={"Content-Type": "application/json"}
                    )
                    statuses[index] = response.status_code
                except httpx.HTTPError:
                    statuses[index] = 0

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return {"first_sent": first_sent[0] if first_sent else time.monotonic(), "statuses": statuses}


if __name__ == "__main__":
    target, folder, key_list, count = sys.argv[1:5]
    answers = asyncio.run(
        _post_all(
            target, Path(folder), key_list.split(","), int(count), float(os.environ["STORM_LIMIT"])
        )
    )
    print(json.dumps(answers))
