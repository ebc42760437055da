"""`takepoint notify methods|test|list`."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.cli.main import app as cli
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.factories import make_user
from tests.notify.helpers import add_apprise, add_email


def _run(db: Database, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"TAKEPOINT_DATABASE_URL": db.url})
    return result.exit_code, result.output


def test_it_lists_methods_queues_a_test_and_shows_it_in_the_outbox(
    db: Database, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@stmarys.example")
    add_email(session, clock, dana, label="Work")
    add_apprise(session, clock, dana, "ntfys://dana:s3cret@ntfy.stmarys.example/pager", "Phone")

    code, output = _run(db, "notify", "methods", "dana@stmarys.example", "--format", "json")
    assert code == 0, output
    rows = json.loads(output)
    assert [(r["order"], r["label"]) for r in rows] == [(1, "Work"), (2, "Phone")]
    assert "s3cret" not in output

    code, output = _run(db, "notify", "test", "dana@stmarys.example", "Phone")
    assert code == 0, output
    assert "queued" in output

    code, output = _run(db, "notify", "list", "--user", "dana@stmarys.example", "--format", "json")
    assert code == 0, output
    (row,) = json.loads(output)
    assert (row["subject"], row["state"]) == ("Takepoint test notification", "pending")


def test_it_names_the_labels_there_are_when_one_is_wrong(
    db: Database, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@stmarys.example")
    add_email(session, clock, dana, label="Work")
    code, output = _run(db, "notify", "test", "dana@stmarys.example", "Pager")
    assert code == 2
    assert "they have: Work" in output
