"""Backup: the database and the evidence files, in one archive (its format: `archive`).

The database is copied first and the evidence after it. A file is stored before the row that
refers to it commits, so every evidence row in the copy has its file in the archive. The
archive is written under a temporary name and renamed into place once complete: a backup that
fails half-way leaves nothing that looks like a backup.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from takepoint.lib.errors import InvalidInput
from takepoint.ops.archive import (
    DATABASE_MEMBER,
    EVIDENCE_MEMBER,
    FORMAT,
    MANIFEST,
    VERSION,
    backend_of,
    copy_sqlite,
    create_private,
    libpq_url,
    run_tool,
    sqlite_path,
)


@dataclass(frozen=True)
class BackupSummary:
    size: int
    evidence_files: int


def _evidence_files(root: Path) -> list[tuple[str, Path]]:
    """Each evidence file in the store under `root`, with its name in an archive."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("??/*")):
        name = f"evidence/{path.parent.name}/{path.name}"
        if path.is_file() and EVIDENCE_MEMBER.match(name):
            found.append((name, path))
    return found


def backup(url: str, destination: Path, *, evidence: Path, now: datetime) -> BackupSummary:
    """Write the database and the evidence files under `evidence` to the archive
    `destination`, readable by its owner only."""
    if destination.exists():
        raise InvalidInput(f"{destination} already exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    backend = backend_of(url)
    # The folder is 0700 and every file in it is made 0600 before anything is written to it.
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".takepoint-backup-") as work:
        database = Path(work) / DATABASE_MEMBER[backend]
        create_private(database).close()
        if backend == "sqlite":
            source = sqlite_path(url)
            if not source.exists():
                raise InvalidInput(f"there is no database at {source} to back up")
            copy_sqlite(source, database)
        else:
            # pg_dump truncates the file it is given and keeps its mode.
            run_tool(["pg_dump", "--format=custom", f"--file={database}", libpq_url(url)])
        files = _evidence_files(evidence)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "made_at": now.isoformat(),
            "database": backend,
            "evidence_files": len(files),
        }
        with create_private(Path(work) / MANIFEST) as out:
            out.write((json.dumps(manifest, indent=2) + "\n").encode())
        partial = Path(work) / "archive.tar"
        with (
            create_private(partial) as out,
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive,
        ):
            archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
            archive.add(database, arcname=database.name)
            for name, path in files:
                archive.add(path, arcname=name)
            archive.close()
            out.flush()
            os.fsync(out.fileno())
        partial.replace(destination)
    return BackupSummary(size=destination.stat().st_size, evidence_files=len(files))
