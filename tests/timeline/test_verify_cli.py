"""`takepoint verify`, the incident page and the records page when a row is edited behind
Takepoint's back (in SQLite directly; in PostgreSQL with the trigger switched off)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import Role
from takepoint.cli.main import app as cli
from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.factories import login, make_user
from tests.timeline.helpers import behind_the_back, entry_id, write_chain

KEY = "a-secret-key-for-these-tests-0123456789"


def _verify(db: Database, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["verify", *args],
        env={"TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_SECRET_KEY": KEY},
    )
    return result.exit_code, result.output


def test_it_names_the_edited_entry_on_the_command_line_and_the_pages(
    db: Database, session: Session, client: TestClient, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    intact_code, intact = _verify(db)
    edited = entry_id(db, "incident:1", 3)
    with behind_the_back(db) as conn:
        conn.execute(
            text("UPDATE timeline_entries SET text = :t WHERE id = :id"),
            {"t": "Note by Sam Okafor: the app server was fine.", "id": edited},
        )

    code, output = _verify(db, "--format", "json")
    one_code, one = _verify(db, "--incident", "1")
    other_code, _ = _verify(db, "--incident", "2")
    admin = make_user(session, clock, role=Role.ADMIN)
    login(client, admin)
    incident_page = client.get("/incidents/1")
    records_page = client.get("/records")

    assert intact_code == 0
    assert "Record intact" in intact
    assert code == 1
    report = json.loads(output)
    assert report["intact"] is False
    assert report["breaks"] == [
        {
            "chain": "incident:1",
            "seq": 3,
            "entry_id": edited,
            "problem": "entry 3 was edited after it was written",
        }
    ]
    assert one_code == 1 and "entry 3 was edited after it was written" in one
    assert other_code == 0
    assert "Record broken: entry 3 was edited after it was written" in incident_page.text
    assert "Record broken in 1 of" in records_page.text


def test_it_exports_digests_that_show_a_rebuilt_chain(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    write_chain(db, "incident:7", clock.now().replace(year=2025), 3)
    code, lines = _verify(db, "--digest", "--since", "2025-03-02", "--through", "2025-03-03")
    saved = tmp_path / "digests.jsonl"
    saved.write_text(lines)

    assert code == 0
    assert [json.loads(line)["day"] for line in lines.splitlines()] == ["2025-03-02", "2025-03-03"]
    assert _verify(db, "--check-digests", str(saved))[0] == 0
    with behind_the_back(db) as conn:
        conn.execute(text("DELETE FROM timeline_entries WHERE chain = 'incident:7'"))
        conn.execute(text("DELETE FROM timeline_heads WHERE chain = 'incident:7'"))
    code, output = _verify(db, "--check-digests", str(saved))
    assert code == 1
    assert "no longer matches the digest" in output
    assert _verify(db)[0] == 0  # the chain is gone entirely: only the digests can tell
