"""Backup and restore: the database and the evidence files, in one archive.

A backup is an (uncompressed) tar archive:

    manifest.json          what it holds: the kind of database, how many evidence files
    database.sqlite        SQLite's online backup, or database.pgdump (pg_dump, custom format)
    evidence/ab/ab12…      every evidence file, named by its SHA-256, as in the data folder

The database is copied first and the evidence after it. A file is stored before the row that
refers to it commits, so every evidence row in the copy has its file in the archive. The
archive is written under a temporary name and renamed into place once complete: a backup that
fails half-way leaves nothing that looks like a backup.

A restore checks everything before it changes anything: the manifest, the database (SQLite's
integrity check), and that each evidence file's bytes hash to its name. Then it replaces the
database and adds the files to the evidence store (a file already there is the same bytes, by
its name). A bare SQLite file or pg_dump file, as `takepoint backup` wrote before it archived
the evidence, is still restored: the database only.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url

from takepoint.incidents.evidence import path_for
from takepoint.lib.errors import InvalidInput, TakepointError

FORMAT = "takepoint-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
_EVIDENCE_MEMBER = re.compile(r"^evidence/([0-9a-f]{2})/(\1[0-9a-f]{62})$")
_CHUNK = 1024 * 1024


class BackupFailed(TakepointError):
    """The backup or restore did not complete."""


@dataclass(frozen=True)
class BackupSummary:
    size: int
    evidence_files: int


def _backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    return "sqlite" if name == "sqlite" else "postgresql"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise InvalidInput("the SQLite URL has no file path")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_copy(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot even while Takepoint is writing.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _evidence_files(root: Path) -> list[tuple[str, Path]]:
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("??/*")):
        name = f"evidence/{path.parent.name}/{path.name}"
        if path.is_file() and _EVIDENCE_MEMBER.match(name):
            found.append((name, path))
    return found


def backup(url: str, destination: Path, *, evidence: Path, now: datetime) -> BackupSummary:
    """Write the database and the evidence files under `evidence` to the archive
    `destination`."""
    if destination.exists():
        raise InvalidInput(f"{destination} already exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    backend = _backend(url)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".takepoint-backup-") as work:
        database = Path(work) / DATABASE_MEMBER[backend]
        if backend == "sqlite":
            source = _sqlite_path(url)
            if not source.exists():
                raise InvalidInput(f"there is no database at {source} to back up")
            _sqlite_copy(source, database)
        else:
            _run(["pg_dump", "--format=custom", f"--file={database}", _libpq_url(url)])
        files = _evidence_files(evidence)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "made_at": now.isoformat(),
            "database": backend,
            "evidence_files": len(files),
        }
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        partial = Path(work) / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
            archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
            archive.add(database, arcname=database.name)
            for name, path in files:
                archive.add(path, arcname=name)
        partial.replace(destination)
    return BackupSummary(size=destination.stat().st_size, evidence_files=len(files))


def restore(url: str, source: Path, *, evidence: Path) -> int:
    """Replace the database with the backup at `source` and add its evidence files to the
    store under `evidence`; returns how many evidence files the backup held."""
    if not source.is_file():
        raise InvalidInput(f"there is no backup file at {source}")
    backend = _backend(url)
    if not tarfile.is_tarfile(source):
        _restore_database(url, backend, source, shown=source)
        return 0
    evidence.mkdir(parents=True, exist_ok=True)
    with (
        tarfile.open(source, "r") as archive,
        tempfile.TemporaryDirectory(dir=evidence, prefix=".restore-") as staging,
    ):
        stage = Path(staging)
        database = _unpack(archive, source, backend, stage)
        staged = [path for path in stage.glob("evidence/??/*") if path.is_file()]
        _restore_database(url, backend, database, shown=source)
        for path in staged:
            final = path_for(evidence, path.name)
            final.parent.mkdir(parents=True, exist_ok=True)
            path.replace(final)
    return len(staged)


def _unpack(archive: tarfile.TarFile, source: Path, backend: str, stage: Path) -> Path:
    """Check the archive and copy its members into `stage`; returns the database's path."""
    try:
        manifest = json.loads(_read(archive, MANIFEST))
    except (KeyError, ValueError):
        raise InvalidInput(f"{source} is a tar archive but not a Takepoint backup") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(f"{source} is a tar archive but not a Takepoint backup")
    if manifest.get("version") != VERSION:
        raise InvalidInput(
            f"{source} is a backup of format version {manifest.get('version')}; "
            f"this Takepoint reads version {VERSION}"
        )
    if manifest.get("database") != backend:
        raise InvalidInput(
            f"{source} holds a {manifest.get('database')} database, but Takepoint is set up "
            f"for {backend}; restore it into a {manifest.get('database')} database"
        )
    database = stage / DATABASE_MEMBER[backend]
    evidence_files = 0
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name == database.name and member.isfile():
            _extract(archive, member, database)
            continue
        match = _EVIDENCE_MEMBER.match(member.name)
        if match is None or not member.isfile():
            raise InvalidInput(f"{source} holds {member.name!r}, which no backup contains")
        digest = _extract(archive, member, stage / member.name)
        if digest != match.group(2):
            raise InvalidInput(
                f"{source}: the evidence file {match.group(2)} is damaged "
                "(its contents do not match its SHA-256)"
            )
        evidence_files += 1
    if not database.is_file():
        raise InvalidInput(f"{source} holds no database")
    if evidence_files != manifest.get("evidence_files"):
        raise InvalidInput(
            f"{source} should hold {manifest.get('evidence_files')} evidence files "
            f"but holds {evidence_files}; the archive is incomplete"
        )
    return database


def _read(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    if handle is None:
        raise KeyError(name)
    with handle:
        return handle.read(1024 * 1024)


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Copy one member's bytes to `target` (never a path the archive chose); returns their
    SHA-256."""
    handle = archive.extractfile(member)
    if handle is None:
        raise InvalidInput(f"{member.name!r} in the backup cannot be read")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with handle, target.open("wb") as out:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _restore_database(url: str, backend: str, database: Path, *, shown: Path) -> None:
    if backend == "sqlite":
        try:
            with sqlite3.connect(database) as check:
                result = check.execute("PRAGMA integrity_check").fetchone()
            check.close()
        except sqlite3.DatabaseError:
            raise InvalidInput(f"{shown} is not a SQLite database") from None
        if result is None or result[0] != "ok":
            raise InvalidInput(f"{shown} failed SQLite's integrity check")
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(database, target)
        return
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(database),
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
