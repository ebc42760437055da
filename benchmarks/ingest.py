"""Ingest throughput of a real `takepoint web` on SQLite, durable (every 2xx is committed).

    .venv/bin/python -m benchmarks.ingest [--seconds 10] [--connections 64]

Measures single PagerDuty events per second and Alertmanager alerts per second in groups of
100, with Debian's `wrk` as the load generator (apt-get install wrk). It prints figures; it is
not a test. The server and wrk share this machine's cores, as they would on a small box.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from sqlalchemy import func, select

from takepoint.catalog.models import Service
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import Alert, IntegrationKind

TAKEPOINT = str(Path(sys.executable).with_name("takepoint"))
# Each integration key has its own rate limit (100/s sustained), as a real estate of many
# monitored services would; the load is spread over enough keys to stay under it.
PD_KEYS = 64
AM_KEYS = 16
BATCH = 100
DISTINCT_GROUPS = 100  # 10,000 distinct alerts: the first pass opens them, later ones update

EVENTS_LUA = """
keys = {%(keys)s}
counter = 0
request = function()
  counter = counter + 1
  local key = keys[(counter %% #keys) + 1]
  local body = '{"routing_key":"' .. key .. '","event_action":"trigger","dedup_key":"'
    .. tostring(counter) .. '-' .. tostring(math.random(1, 1000000000)) .. '",'
    .. '"payload":{"summary":"disk /var 96%% full","source":"txn-01","severity":"critical"}}'
  return wrk.format("POST", "/v2/enqueue", {["Content-Type"] = "application/json"}, body)
end
"""

BATCH_LUA = """
paths = {%(paths)s}
bodies = {}
for i = 1, %(groups)d do
  bodies[i] = io.open("%(dir)s/group-" .. i .. ".json"):read("*a")
end
counter = 0
request = function()
  counter = counter + 1
  -- Each group always goes to the same integration, as Alertmanager re-sends a group.
  local group = (counter %% #bodies) + 1
  local path = paths[(group %% #paths) + 1]
  local body = bodies[group]
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prepare(data_dir: Path) -> tuple[list[str], list[str]]:
    database = Database(f"sqlite:///{data_dir / 'takepoint.db'}")
    migrate.upgrade(database)
    now = datetime.now(UTC)
    with database.session() as session:
        service = Service(slug="bench", name="Benchmark", created_at=now, updated_at=now)
        session.add(service)
        session.flush()
        pd = [
            create_integration(session, service=service, kind=IntegrationKind.PAGERDUTY, now=now)[1]
            for _ in range(PD_KEYS)
        ]
        am = [
            create_integration(
                session, service=service, kind=IntegrationKind.ALERTMANAGER, now=now
            )[1]
            for _ in range(AM_KEYS)
        ]
    database.dispose()
    return pd, am


def _group(index: int) -> dict[str, object]:
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": "DiskFull",
                "instance": f"host-{index:03d}-{n:03d}",
                "severity": "warning",
            },
            "annotations": {"summary": f"disk /var 9{n % 10}% full"},
            "startsAt": "2026-03-02T08:55:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": f"{index:04d}{n:04d}abcdef01",
        }
        for n in range(BATCH)
    ]
    return {
        "version": "4",
        "status": "firing",
        "receiver": "takepoint",
        "groupKey": f'{{}}:{{group="{index}"}}',
        "groupLabels": {"group": str(index)},
        "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "truncatedAlerts": 0,
        "alerts": alerts,
    }


def _wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, int, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="takepoint-bench-"))
    pd_keys, am_keys = _prepare(work)
    for index in range(DISTINCT_GROUPS):
        (work / f"group-{index + 1}.json").write_text(json.dumps(_group(index)))
    (work / "events.lua").write_text(EVENTS_LUA % {"keys": ",".join(f'"{k}"' for k in pd_keys)})
    paths = ",".join(f'"/integrations/{k}/alertmanager"' for k in am_keys)
    (work / "batch.lua").write_text(
        BATCH_LUA % {"paths": paths, "groups": DISTINCT_GROUPS, "dir": work}
    )
    port = _free_port()
    env = {**os.environ, "TAKEPOINT_DATA_DIR": str(work), "TAKEPOINT_LOG_LEVEL": "WARNING"}
    with (work / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [TAKEPOINT, "web", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        process = psutil.Process(server.pid)
        cpu_before = sum(process.cpu_times()[:2])
        events, events_bad, events_out = _wrk(
            url, work / "events.lua", args.seconds, args.connections
        )
        cpu_events = sum(process.cpu_times()[:2]) - cpu_before
        cpu_before = sum(process.cpu_times()[:2])
        batches, batches_bad, batches_out = _wrk(
            url, work / "batch.lua", args.seconds, args.connections
        )
        cpu_batches = sum(process.cpu_times()[:2]) - cpu_before
    finally:
        server.terminate()
        server.wait(30)
    database = Database(f"sqlite:///{work / 'takepoint.db'}")
    with database.session(read_only=True) as session:
        stored = session.scalar(select(func.count()).select_from(Alert)) or 0
        counted = session.scalar(select(func.sum(Alert.event_count))) or 0
    database.dispose()
    latency = re.search(r"99%\s+(\S+)", events_out)
    batch_latency = re.search(r"99%\s+(\S+)", batches_out)
    print(
        f"cores: {os.cpu_count()}, {args.connections} connections, {args.seconds} s each, wrk -t2"
    )
    print(
        f"single PagerDuty events: {events:,.0f} events/s "
        f"(non-2xx: {events_bad}, p99 {latency.group(1) if latency else '?'})"
    )
    print(
        f"Alertmanager groups of {BATCH}: {batches:,.0f} requests/s = "
        f"{batches * BATCH:,.0f} alerts/s "
        f"(non-2xx: {batches_bad}, p99 {batch_latency.group(1) if batch_latency else '?'})"
    )
    # Server CPU per item is steadier than throughput on a machine that is doing other work.
    event_cpu = cpu_events / max(events * args.seconds, 1) * 1e6
    alert_cpu = cpu_batches / max(batches * BATCH * args.seconds, 1) * 1e6
    print(f"server CPU: {event_cpu:.0f} us per single event, {alert_cpu:.1f} us per batched alert")
    print(f"stored: {stored:,} alerts holding {counted:,} events; data in {work}")


if __name__ == "__main__":
    main()
