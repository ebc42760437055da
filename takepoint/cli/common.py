from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from takepoint.lib.clock import SystemClock
from takepoint.lib.context import Context, bind
from takepoint.lib.db import Database
from takepoint.lib.errors import TakepointError
from takepoint.lib.settings import Settings, load_settings
from takepoint.wiring import build_registry

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = typer.Option(
    OutputFormat.TABLE, "--format", help="table for people, json for scripts"
)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]takepoint:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def day(value: str | None, option: str) -> date | None:
    """A day given on the command line (YYYY-MM-DD), or None when the option was left out."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: give a day as YYYY-MM-DD, not {value!r}")


def settings() -> Settings:
    try:
        return load_settings()
    except TakepointError as exc:
        fail(exc.message)


def now() -> datetime:
    return SystemClock().now()


@contextmanager
def database() -> Iterator[Database]:
    db = Database(settings().effective_database_url, synchronous=settings().sqlite_synchronous)
    try:
        yield db
    finally:
        db.dispose()


def context(config: Settings | None = None) -> Context:
    """What a command's services need beyond the database: the settings, keys and registry."""
    config = config or settings()
    try:
        return Context.build(config, build_registry(), SystemClock())
    except (OSError, ValueError) as exc:
        fail(f"cannot read or make the secret key in {config.data_dir}: {exc}")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A committed session on the configured database; domain errors become one clear line."""
    bound = context()
    with database() as db:
        try:
            with db.session() as session:
                bind(session, bound)
                yield session
        except TakepointError as exc:
            fail(exc.message)


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat, title: str = ""
) -> None:
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(list(rows), indent=2, default=str) + "\n")
        return
    table = Table(title=title or None)
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)
