"""Whether Takepoint is running against a database: what a restore must know first."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from takepoint.engine.models import EngineHeartbeat
from takepoint.lib.db import Database
from takepoint.ops.archive import BackupFailed, backend_of, sqlite_path


class TakepointRunning(BackupFailed):
    """Takepoint is running; stop it before you restore."""


@dataclass(frozen=True)
class RunningEngine:
    hostname: str
    pid: int
    age_seconds: float
    # Seen only through its heartbeat (another host): it may have stopped a moment ago.
    remote: bool


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, but a live one
        return True
    return True


def running_engines(url: str, *, now: datetime, stale_after: timedelta) -> list[RunningEngine]:
    """The engines running against the database at `url`, judged by their heartbeats.

    Every engine, and so every `takepoint up`, writes its row in `engine_heartbeats` at each
    tick (at most a second apart), in the very database a restore would replace. That works
    the same on SQLite and PostgreSQL and sees engines on every host, which a pid or lock file
    in the data folder would not (and a SIGKILL leaves such a file behind); `/healthz` needs a
    web server that answers and the address it answers on.

    A heartbeat from this host counts only while its process is alive, so an engine stopped a
    moment ago no longer counts. One from another host counts until it is older than
    `stale_after`, the limit `/healthz` uses too. A `takepoint web` without any engine writes
    no heartbeat and is not seen; it needs an engine to be of use, so that is rare.
    """
    if backend_of(url) == "sqlite" and not sqlite_path(url).exists():
        return []
    here = socket.gethostname()
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            if not inspect(connection).has_table(EngineHeartbeat.__tablename__):
                return []
            rows = connection.execute(
                select(EngineHeartbeat.hostname, EngineHeartbeat.pid, EngineHeartbeat.last_cycle_at)
            ).all()
    except SQLAlchemyError as exc:
        raise BackupFailed(
            "cannot tell whether Takepoint is running: the database does not answer "
            f"({str(exc).splitlines()[0]})"
        ) from None
    finally:
        database.dispose()
    found: dict[tuple[str, int], RunningEngine] = {}
    for hostname, pid, last_cycle_at in rows:
        age = max((now - last_cycle_at).total_seconds(), 0.0)
        remote = hostname != here
        live = age <= stale_after.total_seconds() if remote else _alive(pid)
        seen = found.get((hostname, pid))
        # An engine writes one row per lane; the freshest speaks for it.
        if live and (seen is None or age < seen.age_seconds):
            found[(hostname, pid)] = RunningEngine(hostname, pid, age, remote)
    return sorted(found.values(), key=lambda engine: (engine.hostname, engine.pid))


def refuse_if_running(url: str, *, now: datetime, stale_after: timedelta) -> None:
    """Raise TakepointRunning, naming what runs, when an engine runs against `url`."""
    engines = running_engines(url, now=now, stale_after=stale_after)
    if not engines:
        return
    first, others = engines[0], len(engines) - 1
    message = (
        f"Takepoint is running: an engine on {first.hostname} (pid {first.pid}) "
        f"cycled {int(first.age_seconds)}s ago"
        + (f", and {others} more" if others else "")
        + ". Stop every `takepoint up`, `web` and `engine` first, or pass --force to restore "
        "under a running Takepoint anyway."
    )
    remote = [engine.age_seconds for engine in engines if engine.remote]
    if remote:
        limit = int(stale_after.total_seconds())
        wait = limit - int(min(remote))
        message += (
            f" An engine on another host counts as running for {limit}s after its last "
            f"heartbeat: if you have just stopped it, try again in {wait}s."
        )
    raise TakepointRunning(message)
