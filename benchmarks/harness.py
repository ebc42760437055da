"""What every side-by-side figure shares: loopback servers started and stopped in bounded time,
and Debian's `wrk` as the load generator in a process of its own, with its latency read back."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text

from takepoint.catalog.models import Service
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import IntegrationKind

TAKEPOINT = str(Path(sys.executable).with_name("takepoint"))
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONNECTIONS = 64
PD_KEYS = 64  # each key is rate-limited to 100 events/s sustained, as for a real estate
AM_KEYS = 16
BATCH = 100


@dataclass(frozen=True)
class Load:
    """One wrk run: requests per second, latency percentiles in ms, non-2xx and socket errors."""

    rate: float
    p50: float
    p99: float
    bad: int
    errors: int
    seconds: float


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far, all its threads."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"takepoint-{prefix}-"))


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: Path, seconds: float, connections: int = CONNECTIONS) -> Load:
    """Drive `url` for `seconds` with the Lua `script`; wrk itself is killed if it overruns."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The "Latency Distribution" lines; the thread stats above them also end in "%".
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return Load(
        rate=rate,
        p50=_ms(p50.group(1)) if p50 else float("nan"),
        p99=_ms(p99.group(1)) if p99 else float("nan"),
        bad=int(bad.group(1)) if bad else 0,
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        seconds=seconds,
    )


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until `url` answers at all (/healthz says 503 while no engine has run yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def process(args: list[str], *, env: dict[str, str] | None = None, log: Path) -> Iterator[int]:
    """A child process for the length of the block, stopped (then killed) in bounded time."""
    with log.open("wb") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child.pid
    finally:
        child.terminate()
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A database of this run's own on the local PostgreSQL, dropped afterwards."""
    name = f"takepoint_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@dataclass(frozen=True)
class Estate:
    """A migrated Takepoint database with integration keys to post to."""

    url: str
    pagerduty: list[str]
    alertmanager: list[str]


def prepare(url: str) -> Estate:
    database = Database(url)
    migrate.upgrade(database)
    now = datetime.now(UTC)
    with database.session() as session:
        service = Service(slug="bench", name="Benchmark", created_at=now, updated_at=now)
        session.add(service)
        session.flush()
        keys = {
            kind: [
                create_integration(session, service=service, kind=kind, now=now)[1]
                for _ in range(count)
            ]
            for kind, count in (
                (IntegrationKind.PAGERDUTY, PD_KEYS),
                (IntegrationKind.ALERTMANAGER, AM_KEYS),
            )
        }
    database.dispose()
    return Estate(url, keys[IntegrationKind.PAGERDUTY], keys[IntegrationKind.ALERTMANAGER])


@contextmanager
def takepoint(
    database_url: str, work: Path, *, command: str = "web", extra: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """`takepoint web` (or `up`) on a loopback port; yields its base URL and process id."""
    port = free_port()
    env = {
        **os.environ,
        "TAKEPOINT_DATA_DIR": str(work),
        "TAKEPOINT_DATABASE_URL": database_url,
        "TAKEPOINT_LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    with process(
        [TAKEPOINT, command, "--port", str(port)], env=env, log=work / "server.log"
    ) as pid:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", timeout=60)
        yield url, pid


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value))


def need(program: str) -> None:
    if shutil.which(program) is None:
        sys.exit(f"{program} is missing: scripts/bench installs it with apt-get")
