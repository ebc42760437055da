"""The backup archive's format, and what writing and reading it share.

A backup is an (uncompressed) tar archive:

    manifest.json          what it holds: the kind of database, how many evidence files
    database.sqlite        SQLite's online backup, or database.pgdump (pg_dump, custom format)
    evidence/ab/ab12…      every evidence file, named by its SHA-256, as in the data folder

It holds password hashes and secrets, so every file a backup or a restore makes, the archive
and each temporary file, is created readable by its owner only (0600): created so, not changed
afterwards, which would leave a moment when others could open it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import make_url

from takepoint.lib.errors import InvalidInput, TakepointError

FORMAT = "takepoint-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
EVIDENCE_MEMBER = re.compile(r"^evidence/([0-9a-f]{2})/(\1[0-9a-f]{62})$")
PRIVATE = 0o600


class BackupFailed(TakepointError):
    """The backup or restore did not complete."""


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    return "sqlite" if name == "sqlite" else "postgresql"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise InvalidInput("the SQLite URL has no file path")
    return Path(database)


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_private(path: Path) -> BinaryIO:
    """A new file at `path`, open for writing, readable by its owner only from the start."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE), "wb")


def copy_sqlite(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot even while Takepoint is writing.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def run_tool(argv: list[str], *, failed: str | None = None) -> str:
    """Run a PostgreSQL client tool; returns what it wrote to standard output. When it fails,
    BackupFailed says `failed` (by default, that the tool failed) and the tool's last line."""
    if shutil.which(argv[0]) is None:
        raise BackupFailed(f"{argv[0]} is not installed; install the PostgreSQL client tools")
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        detail = lines[-1] if lines else f"exit code {completed.returncode}"
        raise BackupFailed(f"{failed or argv[0] + ' failed'}: {detail}")
    return completed.stdout
