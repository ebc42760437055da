"""SQLite commits reach the disk before they are answered (FULL) unless NORMAL is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from takepoint.lib.db import Database
from takepoint.lib.settings import Settings

# What `PRAGMA synchronous` reads back.
LEVELS = {"normal": 1, "full": 2}


def _level(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("PRAGMA synchronous")).scalar_one())


@pytest.mark.parametrize("mode", ["full", "normal"])
def test_each_connection_runs_in_the_chosen_mode(tmp_path: Path, mode: str) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}", synchronous=mode)
    try:
        assert _level(database) == LEVELS[mode]
    finally:
        database.dispose()


def test_full_is_the_default_and_the_setting_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAKEPOINT_SQLITE_SYNCHRONOUS", raising=False)  # the suite sets it
    assert Settings(data_dir=tmp_path).sqlite_synchronous == "full"
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        assert _level(database) == LEVELS["full"]
    finally:
        database.dispose()
    monkeypatch.setenv("TAKEPOINT_SQLITE_SYNCHRONOUS", "normal")
    assert Settings(data_dir=tmp_path).sqlite_synchronous == "normal"
    monkeypatch.setenv("TAKEPOINT_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValidationError, match="sqlite_synchronous"):
        Settings(data_dir=tmp_path)
