from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import User
from takepoint.cli.main import app as cli
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.factories import make_user


def test_it_restores_exactly_what_was_backed_up(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    make_user(session, clock, email="kept@example.org")
    env = {"TAKEPOINT_DATABASE_URL": db.url}
    runner = CliRunner()
    backup_file = tmp_path / "takepoint.backup"
    made = runner.invoke(cli, ["backup", str(backup_file)], env=env)
    assert made.exit_code == 0, made.output
    assert "Backed up to" in made.output

    make_user(session, clock, email="after-backup@example.org")
    restored = runner.invoke(cli, ["restore", str(backup_file), "--yes"], env=env)
    assert restored.exit_code == 0, restored.output
    db.dispose()  # reconnect: the restore replaced the database under the pool
    session.expire_all()
    emails = set(session.scalars(select(User.email)))
    assert emails == {"kept@example.org"}


def test_it_refuses_to_overwrite_a_backup(db: Database, tmp_path: Path) -> None:
    existing = tmp_path / "old.backup"
    existing.write_text("precious")
    result = CliRunner().invoke(
        cli, ["backup", str(existing)], env={"TAKEPOINT_DATABASE_URL": db.url}
    )
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert existing.read_text() == "precious"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_refuses_to_restore_something_that_is_not_a_backup(db: Database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_text("this is not a database")
    result = CliRunner().invoke(
        cli, ["restore", str(junk), "--yes"], env={"TAKEPOINT_DATABASE_URL": db.url}
    )
    assert result.exit_code == 2
    assert "is not a SQLite database" in result.output
