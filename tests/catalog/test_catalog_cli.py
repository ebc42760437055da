from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.catalog.models import Service
from takepoint.cli.main import app as cli
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.catalog.factories import make_service
from tests.factories import make_user

CATALOG = """\
users:
  - email: priya@x.org
    name: Priya Raman
services:
  - slug: app-server
    name: Clinical app server
    tier: 1
    tech_lead: priya@x.org
"""


def _run(db: Database, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"TAKEPOINT_DATABASE_URL": db.url})
    return result.exit_code, result.output


def test_it_applies_a_file_after_a_dry_run(db: Database, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG)
    code, output = _run(db, "apply", str(path), "--dry-run")
    assert code == 0, output
    assert "+ create service app-server" in output
    assert "Dry run: nothing was changed." in output
    assert session.scalar(select(func.count()).select_from(Service)) == 0
    code, output = _run(db, "apply", str(path))
    assert code == 0, output
    assert "Applied: 2 to create." in output
    code, output = _run(db, "apply", str(path))
    assert "No changes: Takepoint already matches catalog.yaml." in output


def test_it_prints_every_error_with_its_line_and_fails(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.replace("    tier: 1\n", "    ownr: x\n"))
    code, output = _run(db, "apply", str(path))
    assert code == 1
    assert "catalog.yaml:7: unknown field 'ownr'" in output
    assert "nothing was applied" in output


def test_it_exports_to_a_file_that_applies_with_no_changes(db: Database, tmp_path: Path) -> None:
    source = tmp_path / "catalog.yaml"
    source.write_text(CATALOG)
    _run(db, "apply", str(source))
    exported = tmp_path / "export.yaml"
    code, output = _run(db, "export", "-o", str(exported))
    assert code == 0, output
    assert "slug: app-server" in exported.read_text()
    code, output = _run(db, "apply", str(exported))
    assert "No changes" in output


def test_it_prints_the_audit_as_a_table_or_as_json(
    db: Database, session: Session, clock: FakeClock
) -> None:
    make_service(
        session, clock, slug="app-server", tech_lead=make_user(session, clock, name="Priya")
    )
    code, output = _run(db, "audit")
    assert code == 0, output
    assert "app-server" in output
    assert "no backup lead: only Priya knows it" in output
    code, output = _run(db, "audit", "--format", "json")
    [row] = json.loads(output)
    assert row["service"] == "app-server"
    assert row["checks"]["backup_lead"] == "fail"
    assert "no backup lead: only Priya knows it" in row["missing"]
