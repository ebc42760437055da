from __future__ import annotations

import dataclasses

from typer.testing import CliRunner

from takepoint.cli.main import app as cli
from takepoint.lib.clock import SystemClock
from takepoint.lib.db import Database
from tests.factories import db_context, make_engine


def test_it_says_what_is_wrong_and_how_to_fix_it(db: Database) -> None:
    result = CliRunner().invoke(cli, ["doctor"], env={"TAKEPOINT_DATABASE_URL": db.url})
    assert result.exit_code == 1
    assert "no engine has ever run" in result.output
    assert "takepoint engine" in result.output


def test_it_reports_healthy_when_an_engine_cycles(db: Database) -> None:
    live = dataclasses.replace(db_context(db), clock=SystemClock())
    make_engine(db, live).run_cycle()
    result = CliRunner().invoke(cli, ["doctor"], env={"TAKEPOINT_DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    assert "Healthy." in result.output


def test_it_reports_an_unreachable_database() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    result = CliRunner().invoke(cli, ["doctor"], env={"TAKEPOINT_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "database unreachable" in result.output
