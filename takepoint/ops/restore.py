"""Restore: the database and the evidence files exactly as a backup holds them.

Everything is checked before anything changes: the archive read to its end, the manifest, the
database (SQLite's integrity check, or pg_restore reading the whole dump), the schema version,
and each evidence file's bytes against its name. A damaged, cut-short or foreign archive, or a
backup from a newer Takepoint, changes nothing.

Then the database is replaced, and the evidence folder made to hold exactly the archive's
files: the archive's are put in place, and any other file there (added after the backup) is
moved aside into `<data dir>/evidence-not-in-backup-<time>/`, not deleted. No row refers to
them any more, but they were someone's proof: the operator deletes the folder once sure.

A bare SQLite file or pg_dump file, as `takepoint backup` wrote before it archived the
evidence, is still restored: the database only, the evidence folder as it is.
"""

from __future__ import annotations

import contextlib
import enum
import gzip
import hashlib
import json
import lzma
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory

from takepoint.incidents.evidence import path_for
from takepoint.lib.errors import InvalidInput
from takepoint.lib.migrate import MIGRATIONS_DIR
from takepoint.ops.archive import (
    DATABASE_MEMBER,
    EVIDENCE_MEMBER,
    FORMAT,
    MANIFEST,
    VERSION,
    BackupFailed,
    backend_of,
    copy_sqlite,
    create_private,
    libpq_url,
    run_tool,
    sqlite_path,
)

_CHUNK = 1024 * 1024
# What reading a cut-short or corrupt archive raises (a damaged gzip stream too, for a backup
# someone compressed).
_DAMAGED = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile)


class SchemaAge(enum.StrEnum):
    CURRENT = "current"
    OLDER = "older"


@dataclass(frozen=True)
class RestoreSummary:
    evidence_files: int
    schema: str
    head: str
    age: SchemaAge
    set_aside: int = 0
    # Where the evidence files the backup does not hold went, when there were any.
    aside: Path | None = None


def restore(url: str, source: Path, *, evidence: Path, now: datetime) -> RestoreSummary:
    """Replace the database with the backup at `source` and make the evidence store under
    `evidence` hold exactly the backup's files. Takepoint must be stopped first
    (`running.refuse_if_running`): nothing here stops it writing meanwhile."""
    if not source.is_file():
        raise InvalidInput(f"there is no backup file at {source}")
    backend = backend_of(url)
    if not tarfile.is_tarfile(source):
        revision, head, age = _check_database(backend, source, shown=source)
        _replace_database(url, backend, source)
        return RestoreSummary(evidence_files=0, schema=revision, head=head, age=age)
    evidence.mkdir(parents=True, exist_ok=True)
    # Staged in the evidence folder itself, so that putting each file in place is a rename.
    with tempfile.TemporaryDirectory(dir=evidence, prefix=".restore-") as staging:
        stage = Path(staging)
        database, staged = _unpack(source, backend, stage)
        revision, head, age = _check_database(backend, database, shown=source)
        _replace_database(url, backend, database)
        moved, aside = _replace_evidence(evidence, staged, stage=stage, now=now)
    return RestoreSummary(
        evidence_files=len(staged),
        schema=revision,
        head=head,
        age=age,
        set_aside=moved,
        aside=aside if moved else None,
    )


def _unpack(source: Path, backend: str, stage: Path) -> tuple[Path, list[Path]]:
    try:
        with tarfile.open(source, "r") as archive:
            return _unpack_members(archive, source, backend, stage)
    except _DAMAGED as exc:
        raise InvalidInput(
            f"{source} is damaged or incomplete ({exc}); nothing was changed"
        ) from None
    except OSError as exc:
        raise BackupFailed(
            f"cannot read {source} or stage its contents: {exc}; nothing was changed"
        ) from None


def _unpack_members(
    archive: tarfile.TarFile, source: Path, backend: str, stage: Path
) -> tuple[Path, list[Path]]:
    """Check the archive and copy its members into `stage`; returns the database's path and
    the evidence files'."""
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
    staged = []
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name == database.name and member.isfile():
            _extract(archive, member, database)
            continue
        match = EVIDENCE_MEMBER.match(member.name)
        if match is None or not member.isfile():
            raise InvalidInput(f"{source} holds {member.name!r}, which no backup contains")
        target = stage / member.name
        if _extract(archive, member, target) != match.group(2):
            raise InvalidInput(
                f"{source}: the evidence file {match.group(2)} is damaged "
                "(its contents do not match its SHA-256)"
            )
        staged.append(target)
    if not database.is_file():
        raise InvalidInput(f"{source} holds no database")
    if len(staged) != manifest.get("evidence_files"):
        raise InvalidInput(
            f"{source} should hold {manifest.get('evidence_files')} evidence files "
            f"but holds {len(staged)}; the archive is incomplete"
        )
    return database, staged


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
    with handle, create_private(target) as out:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _check_database(backend: str, database: Path, *, shown: Path) -> tuple[str, str, SchemaAge]:
    """Check the database copy through, without touching the real one; returns its schema
    revision, this Takepoint's, and how the two compare."""
    if backend == "sqlite":
        try:
            with contextlib.closing(sqlite3.connect(database)) as check:
                result = check.execute("PRAGMA integrity_check").fetchone()
                if result is None or result[0] != "ok":
                    raise InvalidInput(f"{shown} failed SQLite's integrity check")
                revisions = _sqlite_revisions(check)
        except sqlite3.DatabaseError:
            raise InvalidInput(f"{shown} is not a SQLite database") from None
    else:
        # Writing the whole dump out as SQL reads every byte of it: a cut-short dump fails
        # here, not half-way through replacing the database.
        failed = f"{shown} holds no PostgreSQL dump that pg_restore can read to its end"
        run_tool(["pg_restore", f"--file={os.devnull}", str(database)], failed=failed)
        script = run_tool(
            ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(database)],
            failed=failed,
        )
        revisions = _copied_values(script)
    return _compare_schema(revisions, shown=shown)


def _sqlite_revisions(connection: sqlite3.Connection) -> set[str]:
    try:
        return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.OperationalError:  # no such table: a database never migrated
        return set()


def _copied_values(script: str) -> set[str]:
    """The first column of the rows a pg_restore script copies into alembic_version."""
    values: set[str] = set()
    copying = False
    for line in script.splitlines():
        if copying and line == "\\.":
            copying = False
        elif copying:
            values.add(line.split("\t")[0])
        elif line.startswith("COPY ") and "alembic_version" in line:
            copying = True
    return values


def _compare_schema(revisions: set[str], *, shown: Path) -> tuple[str, str, SchemaAge]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = set(script.get_heads())
    head = ", ".join(sorted(heads))
    if not revisions:
        raise InvalidInput(f"{shown} holds a database Takepoint never set up (no schema version)")
    revision = ", ".join(sorted(revisions))
    known = {r.revision for r in script.walk_revisions()}
    if not revisions <= known:
        raise InvalidInput(
            f"{shown} was made by a newer Takepoint (schema {revision}; this one knows up to "
            f"{head}): upgrade Takepoint, then restore"
        )
    applied = {r.revision for r in script.iterate_revisions(tuple(revisions), "base") if r}
    return revision, head, SchemaAge.CURRENT if heads <= applied else SchemaAge.OLDER


def _replace_database(url: str, backend: str, database: Path) -> None:
    if backend == "sqlite":
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if not target.exists():
                create_private(target).close()
            copy_sqlite(database, target)
        except (OSError, sqlite3.Error) as exc:
            raise BackupFailed(f"could not write the database {target}: {exc}") from None
        return
    run_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={libpq_url(url)}",
            str(database),
        ]
    )


def _replace_evidence(
    root: Path, staged: list[Path], *, stage: Path, now: datetime
) -> tuple[int, Path]:
    """Put the staged files in place and move every other file under `root` aside; returns
    how many were moved, and where to."""
    kept = set()
    for path in staged:
        final = path_for(root, path.name)
        final.parent.mkdir(parents=True, exist_ok=True)
        path.replace(final)
        kept.add(final)
    aside = root.parent / f"evidence-not-in-backup-{now.astimezone(UTC):%Y-%m-%dT%H%M%SZ}"
    others = [
        path
        for path in sorted(root.rglob("*"))
        if path.is_file() and path not in kept and stage not in path.parents
    ]
    for path in others:
        target = aside / path.relative_to(root)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.move(path, target)
    # The folders those files leave empty go too; a folder that still holds a file stays.
    for folder in sorted({path.parent for path in others} - {root}, reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()
    return len(others), aside
