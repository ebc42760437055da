"""Backup and restore against the mistakes that hurt: restoring under a running Takepoint, a
damaged archive, a backup others can read, evidence left over, a schema from another version."""

from __future__ import annotations

import io
import os
import socket
import stat
import tarfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from takepoint.accounts.models import User
from takepoint.cli.main import app as cli
from takepoint.desk import attachments
from takepoint.engine.models import EngineHeartbeat
from takepoint.incidents.evidence import attach_evidence, path_for
from takepoint.lib import migrate
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.factories import make_user
from tests.incidents.world import build_world, phone_incident
from tests.processes import TakepointProcess

KEPT = b"07:38 txn-01 postgres: could not write to file: No space left on device\n"
LATER = b"08:02 txn-01 postgres: checkpoints are occurring too frequently\n"
DESK = b"%PDF-1.4 the signed change request for the new switch\n"
MAX_BYTES = 1024 * 1024


def _env(db: Database, data: Path) -> dict[str, str]:
    return {"TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_DATA_DIR": str(data)}


def _backup(db: Database, data: Path, target: Path) -> None:
    made = CliRunner().invoke(cli, ["backup", str(target)], env=_env(db, data))
    assert made.exit_code == 0, made.output


def _restore(db: Database, session: Session, data: Path, source: Path, *options: str) -> Result:
    # The session hands its connection back first: one it held would outlive the pool.
    session.close()
    result = CliRunner().invoke(
        cli, ["restore", str(source), "--yes", *options], env=_env(db, data)
    )
    db.dispose()  # reconnect: a restore replaces the database under the pool
    return result


def _emails(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(User.email)))


def _attacher(session: Session, clock: FakeClock, data: Path) -> Callable[[bytes], Path]:
    """Attaches files as evidence to one incident; returns where each one is stored."""
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world, reporter=world.sam)

    def attach(body: bytes) -> Path:
        evidence = attach_evidence(
            session,
            incident=incident,
            user=world.sam,
            upload=io.BytesIO(body),
            filename="postgres.log",
            root=data / "evidence",
            max_bytes=MAX_BYTES,
            now=clock.now(),
        )
        return path_for(data / "evidence", evidence.sha256)

    return attach


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _schema(session: Session, revision: str) -> None:
    session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


@pytest.fixture
def head(db: Database, session: Session) -> Iterator[str]:
    """The schema's current revision, put back after the test: the PostgreSQL test database
    outlives the test, and its alembic_version is no table the fixtures empty."""
    (revision,) = migrate.heads(db)
    yield revision
    _schema(session, revision)


@pytest.mark.slow
def test_it_refuses_to_restore_while_an_engine_is_running(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    archive = tmp_path / "takepoint.backup"
    _backup(db, data, archive)
    make_user(session, clock, email="after-backup@example.org")
    engine = TakepointProcess(
        ["engine"],
        env={**_env(db, data), "TAKEPOINT_ENGINE_TICK_SECONDS": "0.1"},
        log=tmp_path / "engine.log",
    )
    try:
        engine.wait_for_output("started, tick")
        deadline = time.monotonic() + 30
        while session.scalar(select(EngineHeartbeat.pid)) != engine.process.pid:
            assert time.monotonic() < deadline, engine.output()
            time.sleep(0.05)
        refused = _restore(db, session, data, archive)
        assert refused.exit_code == 2, refused.output
        assert "Takepoint is running" in refused.output
        assert f"on {socket.gethostname()} (pid {engine.process.pid})" in refused.output
        assert "--force" in refused.output
        assert "after-backup@example.org" in _emails(session)
    finally:
        assert engine.stop() == 0, engine.output()

    # Its heartbeat is seconds old, but its process is gone: nothing is running any more.
    restored = _restore(db, session, data, archive)
    assert restored.exit_code == 0, restored.output
    assert "after-backup@example.org" not in _emails(session)


def test_it_refuses_while_an_engine_on_another_host_cycled_lately_unless_forced(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    archive = tmp_path / "takepoint.backup"
    _backup(db, data, archive)
    make_user(session, clock, email="after-backup@example.org")
    # The restore reads the wall clock, as the engines that write heartbeats do.
    now = datetime.now(UTC)
    session.add(
        EngineHeartbeat(
            worker_id="engine-on-app2",
            hostname="app2.hospital.example",
            pid=4242,
            started_at=now,
            last_cycle_at=now,
            last_cycle_ms=3.0,
            cycles=1,
        )
    )
    session.flush()

    refused = _restore(db, session, data, archive)
    assert refused.exit_code == 2, refused.output
    assert "Takepoint is running: an engine on app2.hospital.example (pid 4242)" in refused.output
    assert "after-backup@example.org" in _emails(session)

    forced = _restore(db, session, data, archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert "after-backup@example.org" not in _emails(session)


def _truncate_inside(archive: Path, member_prefix: str, cut: Path) -> None:
    """Copy `archive` to `cut`, ending half-way through the first member named so."""
    with tarfile.open(archive) as source:
        member = next(m for m in source if m.name.startswith(member_prefix))
    assert member.size > 1
    cut.write_bytes(archive.read_bytes()[: member.offset_data + member.size // 2])


@pytest.mark.parametrize("member", ["database.", "evidence/"])
def test_it_refuses_a_truncated_backup_and_changes_nothing(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path, member: str
) -> None:
    data = tmp_path / "data"
    attach = _attacher(session, clock, data)
    kept = attach(KEPT)
    archive = tmp_path / "takepoint.backup"
    _backup(db, data, archive)
    cut = tmp_path / "cut-short.backup"
    _truncate_inside(archive, member, cut)
    make_user(session, clock, email="after-backup@example.org")
    later = attach(LATER)
    before = _files(data / "evidence")

    result = _restore(db, session, data, cut)
    assert result.exit_code == 2, result.output
    assert f"{cut} is damaged or incomplete" in result.output
    assert "nothing was changed" in result.output
    assert "after-backup@example.org" in _emails(session)
    assert _files(data / "evidence") == before
    assert kept.is_file() and later.is_file()
    assert not [p for p in (data / "evidence").iterdir() if p.name.startswith(".")]


def test_it_writes_a_backup_only_its_owner_can_read(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    archive = folder / "takepoint.backup"
    umask = os.umask(0o022)  # the usual default, which makes new files world-readable
    try:
        _backup(db, tmp_path / "data", archive)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["takepoint.backup"]


def test_it_sets_aside_evidence_files_the_backup_does_not_hold(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    root = data / "evidence"
    attach = _attacher(session, clock, data)
    kept = attach(KEPT)
    archive = tmp_path / "takepoint.backup"
    _backup(db, data, archive)
    # After the backup: a note's evidence, a file on a desk ticket, and the kept file damaged.
    later = attach(LATER)
    desk = path_for(
        root, attachments.store(io.BytesIO(DESK), root=root, max_bytes=MAX_BYTES).sha256
    )
    kept.write_bytes(b"overwritten by a disk fault")

    result = _restore(db, session, data, archive)
    assert result.exit_code == 0, result.output
    assert _files(root) == {str(kept.relative_to(root)): KEPT}
    (aside,) = [p for p in data.iterdir() if p.name.startswith("evidence-not-in-backup-")]
    assert _files(aside) == {
        str(later.relative_to(root)): LATER,
        str(desk.relative_to(root)): DESK,
    }
    assert f"Moved 2 file(s) that the backup does not hold to {aside}" in result.output


def test_it_refuses_a_backup_from_a_newer_takepoint_and_changes_nothing(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path, head: str
) -> None:
    archive = tmp_path / "takepoint.backup"
    _schema(session, "29991231_0999")
    _backup(db, tmp_path / "data", archive)
    _schema(session, head)
    make_user(session, clock, email="after-backup@example.org")

    result = _restore(db, session, tmp_path / "data", archive)
    assert result.exit_code == 2, result.output
    assert f"{archive} was made by a newer Takepoint" in result.output
    assert "schema 29991231_0999" in result.output
    assert "after-backup@example.org" in _emails(session)
    assert session.scalar(text("SELECT version_num FROM alembic_version")) == head


def test_it_says_to_migrate_after_restoring_a_backup_from_an_older_takepoint(
    db: Database, session: Session, tmp_path: Path, head: str
) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(db))
    older = script.get_revision(head)
    assert older is not None and isinstance(older.down_revision, str)
    archive = tmp_path / "takepoint.backup"
    _schema(session, older.down_revision)
    _backup(db, tmp_path / "data", archive)
    _schema(session, head)

    result = _restore(db, session, tmp_path / "data", archive)
    assert result.exit_code == 0, result.output
    assert (
        f"The backup's schema ({older.down_revision}) is older than this Takepoint's ({head}): "
        "run `takepoint migrate`" in result.output
    )
