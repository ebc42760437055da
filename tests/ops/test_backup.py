from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import User
from takepoint.cli.main import app as cli
from takepoint.incidents.evidence import attach_evidence, path_for
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.timeline.chain import verify_chain
from tests.factories import make_user
from tests.incidents.world import build_world, phone_incident

LOG = b"07:38 txn-01 postgres: could not write to file: No space left on device\n"


def _env(db: Database, data: Path) -> dict[str, str]:
    return {"TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_DATA_DIR": str(data)}


def _backup(db: Database, data: Path, target: Path) -> str:
    made = CliRunner().invoke(cli, ["backup", str(target)], env=_env(db, data))
    assert made.exit_code == 0, made.output
    return made.output


def _restore(db: Database, data: Path, source: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["restore", str(source), "--yes"], env=_env(db, data))
    db.dispose()  # reconnect: a restore replaces the database under the pool
    return result.exit_code, result.output


def _emails(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(User.email)))


def test_it_restores_the_database_and_the_evidence_exactly_as_backed_up(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world, reporter=world.sam)
    evidence = attach_evidence(
        session,
        incident=incident,
        user=world.sam,
        upload=io.BytesIO(LOG),
        filename="postgres.log",
        root=data / "evidence",
        max_bytes=1024 * 1024,
        now=clock.now(),
    )
    stored = path_for(data / "evidence", evidence.sha256)
    archive = tmp_path / "backups" / "takepoint.backup"
    output = _backup(db, data, archive)
    assert "1 evidence file" in output

    # The disk is lost after the backup: a user added meanwhile, and the evidence folder gone.
    make_user(session, clock, email="after-backup@example.org")
    shutil.rmtree(data)

    code, output = _restore(db, data, archive)
    assert code == 0, output
    assert "1 evidence file" in output
    assert "after-backup@example.org" not in _emails(session)
    assert stored.read_bytes() == LOG
    assert verify_chain(session, incident.chain) is None
    assert not [p for p in (data / "evidence").iterdir() if p.name.startswith(".")]


def test_it_refuses_a_damaged_evidence_file_and_changes_nothing(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    make_user(session, clock, email="kept@example.org")
    digest = hashlib.sha256(LOG).hexdigest()
    damaged = tmp_path / "damaged.backup"
    good = tmp_path / "good.backup"
    path_for(data / "evidence", digest).parent.mkdir(parents=True)
    path_for(data / "evidence", digest).write_bytes(LOG)
    _backup(db, data, good)
    with tarfile.open(good) as source, tarfile.open(damaged, "w") as target:
        for member in source:
            content = source.extractfile(member)
            assert content is not None
            body = content.read()
            if member.name.startswith("evidence/"):
                body = body.replace(b"No space", b"Space")
            member.size = len(body)
            target.addfile(member, io.BytesIO(body))
    make_user(session, clock, email="after-backup@example.org")
    shutil.rmtree(data)

    code, output = _restore(db, data, damaged)
    assert code == 2
    assert f"the evidence file {digest} is damaged" in output
    assert "after-backup@example.org" in _emails(session)
    assert not path_for(data / "evidence", digest).exists()
    assert not [p for p in (data / "evidence").iterdir() if p.name.startswith(".")]


def test_it_refuses_an_archive_that_is_not_a_takepoint_backup(db: Database, tmp_path: Path) -> None:
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as archive:
        body = json.dumps({"format": "something-else"}).encode()
        member = tarfile.TarInfo("manifest.json")
        member.size = len(body)
        archive.addfile(member, io.BytesIO(body))
    code, output = _restore(db, tmp_path / "data", other)
    assert code == 2
    assert "is a tar archive but not a Takepoint backup" in output


def test_it_refuses_a_backup_of_the_other_kind_of_database(
    db: Database, backend: str, tmp_path: Path
) -> None:
    archive = tmp_path / "takepoint.backup"
    _backup(db, tmp_path / "data", archive)
    other = "postgresql" if backend == "sqlite" else "sqlite"
    with tarfile.open(archive) as source:
        content = source.extractfile("manifest.json")
        assert content is not None
        manifest = json.loads(content.read())
    manifest["database"] = other
    body = json.dumps(manifest).encode()
    renamed = tmp_path / "renamed.backup"
    with tarfile.open(renamed, "w") as target:
        member = tarfile.TarInfo("manifest.json")
        member.size = len(body)
        target.addfile(member, io.BytesIO(body))
    code, output = _restore(db, tmp_path / "data", renamed)
    assert code == 2
    assert f"holds a {other} database, but Takepoint is set up for {backend}" in output


def test_it_refuses_to_overwrite_a_backup(db: Database, tmp_path: Path) -> None:
    existing = tmp_path / "old.backup"
    existing.write_text("precious")
    result = CliRunner().invoke(cli, ["backup", str(existing)], env=_env(db, tmp_path / "data"))
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert existing.read_text() == "precious"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_still_restores_a_bare_database_file_from_before_evidence_was_archived(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    make_user(session, clock, email="kept@example.org")
    bare = tmp_path / "takepoint-2026-11-20.db"
    with sqlite3.connect(str(db.engine.url.database)) as src, sqlite3.connect(bare) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    make_user(session, clock, email="after-backup@example.org")
    code, output = _restore(db, tmp_path / "data", bare)
    assert code == 0, output
    assert "kept@example.org" in _emails(session)
    assert "after-backup@example.org" not in _emails(session)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_refuses_to_restore_something_that_is_not_a_backup(db: Database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_text("this is not a database")
    code, output = _restore(db, tmp_path / "data", junk)
    assert code == 2
    assert "is not a SQLite database" in output
