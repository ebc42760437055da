from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from takepoint.cli.common import console, context, database, fail, now, settings
from takepoint.engine import tasks
from takepoint.engine.models import EngineTask, TaskKind, TaskState
from takepoint.incidents.evidence import evidence_root
from takepoint.lib import migrate as migrations
from takepoint.lib.context import bind
from takepoint.lib.db import Database
from takepoint.lib.errors import TakepointError
from takepoint.ops import backup as backups
from takepoint.ops import restore as restores
from takepoint.ops import running
from takepoint.ops.health import check_database, check_engine


def doctor(
    probe: bool = typer.Option(
        False, "--probe", help="also queue a task and wait for an engine to run it"
    ),
) -> None:
    """Check settings, database, schema and engine, and say how to fix what is wrong."""
    checks: list[tuple[str, bool, str]] = []
    config = settings()  # exits with one clear line when a setting is bad
    checks.append(("settings", True, "all settings are valid"))
    if config.is_sqlite:
        writable = os.access(config.data_dir, os.W_OK) if config.data_dir.exists() else True
        checks.append(
            (
                "data folder",
                writable,
                f"{config.data_dir.resolve()}"
                + ("" if writable else " is not writable; fix its owner or TAKEPOINT_DATA_DIR"),
            )
        )
    with database() as db, db.session(read_only=True) as session:
        problem = check_database(session)
        checks.append(("database", problem is None, problem or f"{db.dialect} answers"))
        if problem is None:
            behind = migrations.pending(db)
            checks.append(
                (
                    "schema",
                    not behind,
                    "run `takepoint migrate`" if behind else "migrations are up to date",
                )
            )
            if not behind:
                engine = check_engine(
                    session,
                    now=now(),
                    stale_after=timedelta(seconds=config.engine_stale_after_seconds),
                )
                hint = "" if engine.healthy else " — start `takepoint up` or `takepoint engine`"
                checks.append(
                    ("engine", engine.healthy, f"{engine.message}, {engine.workers} live{hint}")
                )
                if probe:
                    checks.append(_probe(db))
    table = Table(show_header=True)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail")
    for name, ok, detail in checks:
        table.add_row(name, "[green]ok[/]" if ok else "[red]PROBLEM[/]", detail)
    console.print(table)
    if not all(ok for _, ok, _ in checks):
        raise typer.Exit(1)
    console.print("Healthy.")


def _probe(db: Database) -> tuple[str, bool, str]:
    with db.session() as session:
        bind(session, context())
        task = tasks.schedule(session, kind=TaskKind.PROBE, due_at=now(), now=now())
        assert task is not None
        task_id = task.id
    started = time.monotonic()
    while time.monotonic() - started < 10:
        with db.session(read_only=True) as session:
            state = session.scalar(select(EngineTask.state).where(EngineTask.id == task_id))
        if state is TaskState.DONE:
            return (
                "engine probe",
                True,
                f"an engine ran a task in {time.monotonic() - started:.2f}s",
            )
        time.sleep(0.1)
    return ("engine probe", False, "no engine ran the probe task within 10 s")


def backup(path: Path = typer.Argument(..., help="file to write")) -> None:
    """Archive the database (SQLite backup API, or pg_dump) and the evidence files."""
    config = settings()
    try:
        made = backups.backup(
            config.effective_database_url, path, evidence=evidence_root(config), now=now()
        )
    except TakepointError as exc:
        fail(exc.message)
    console.print(
        f"Backed up to {path} ({made.size:,} bytes: the database and "
        f"{made.evidence_files:,} evidence file(s))."
    )


def restore(
    path: Path = typer.Argument(..., help="a file made by `takepoint backup`"),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
    force: bool = typer.Option(
        False, "--force", help="restore even though an engine seems to be running"
    ),
) -> None:
    """Replace the database's contents with a backup and make the evidence files match it.
    Stop Takepoint first: a restore refuses while an engine is running."""
    config = settings()
    url = config.effective_database_url
    try:
        if not force:
            running.refuse_if_running(
                url, now=now(), stale_after=timedelta(seconds=config.engine_stale_after_seconds)
            )
        if not yes:
            typer.confirm(f"Replace everything in the database with {path}?", abort=True)
        done = restores.restore(url, path, evidence=evidence_root(config), now=now())
    except TakepointError as exc:
        fail(exc.message)
    lines = [
        f"Restored the database and {done.evidence_files:,} evidence file(s) from {path}.",
    ]
    if done.aside is not None:
        lines.append(
            f"Moved {done.set_aside:,} file(s) that the backup does not hold to {done.aside}; "
            "delete that folder once you are sure they are not needed."
        )
    if done.age is restores.SchemaAge.OLDER:
        lines.append(
            f"The backup's schema ({done.schema}) is older than this Takepoint's "
            f"({done.head}): run `takepoint migrate` before you start Takepoint."
        )
    console.print("\n".join(lines), soft_wrap=True, highlight=False)
