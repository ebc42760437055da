"""Backup and restore of Takepoint's own database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url

from takepoint.lib.errors import InvalidInput, TakepointError


class BackupFailed(TakepointError):
    """The backup or restore did not complete."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise InvalidInput("the SQLite URL has no file path")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, destination: Path) -> int:
    """Write a consistent copy to `destination`; returns its size in bytes."""
    if destination.exists():
        raise InvalidInput(f"{destination} already exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise InvalidInput(f"there is no database at {source} to back up")
        # The online backup API copies a consistent snapshot even while Takepoint is writing.
        with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
            src.backup(dst)
        src.close()
        dst.close()
    else:
        _run(["pg_dump", "--format=custom", f"--file={destination}", _libpq_url(url)])
    return destination.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with the backup at `source`."""
    if not source.is_file():
        raise InvalidInput(f"there is no backup file at {source}")
    if make_url(url).get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        try:
            with sqlite3.connect(source) as check:
                result = check.execute("PRAGMA integrity_check").fetchone()
            check.close()
        except sqlite3.DatabaseError:
            raise InvalidInput(f"{source} is not a SQLite database") from None
        if result is None or result[0] != "ok":
            raise InvalidInput(f"{source} failed SQLite's integrity check")
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(url)}",
                str(source),
            ]
        )


def _run(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupFailed(f"{argv[0]} is not installed; install the PostgreSQL client tools")
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        detail = lines[-1] if lines else f"exit code {completed.returncode}"
        raise BackupFailed(f"{argv[0]} failed: {detail}")
