from __future__ import annotations

from typer.testing import CliRunner, Result

from takepoint.cli.main import app as cli
from takepoint.desk import service as desk
from takepoint.desk.models import SlaRule
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.factories import make_user


def _run(db: Database, *args: str) -> Result:
    env = {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_SECRET_KEY": "test-secret-key-test-secret-key",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def _arrange(db: Database, clock: FakeClock) -> int:
    with db.session() as s:
        s.add(
            SlaRule(name="Standard", position=1, first_response_minutes=60, resolution_minutes=480)
        )
        make_user(s, clock, name="Sam Okafor", email="sam@example.org")
        make_user(s, clock, name="Lee Chen", email="lee@example.org")
        return desk.create_requester(s, name="Ada Nurse", phone="020 7946 0018", now=clock.now()).id


def test_it_works_a_ticket_from_the_command_line(db: Database, clock: FakeClock) -> None:
    requester_id = _arrange(db, clock)
    opened = _run(
        db, "ticket", "open", "--requester", str(requester_id), "--title", "Ward 4 printer jams",
        "--priority", "p2", "--as", "sam@example.org",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "Opened ticket #1: rule 'Standard': it matches every ticket." in opened.output

    assert _run(db, "ticket", "reply", "1", "Which tray?", "--as", "sam@example.org").exit_code == 0
    noted = _run(db, "ticket", "note", "1", "Fuser worn out", "--as", "sam@example.org")
    assert noted.exit_code == 0, noted.output
    given = _run(db, "ticket", "assign", "1", "--to", "lee@example.org", "--as", "sam@example.org")
    assert "#1 assigned to lee@example.org." in given.output
    waiting = _run(db, "ticket", "state", "1", "waiting_on_requester", "--as", "lee@example.org")
    assert "#1 is now waiting on requester." in waiting.output

    shown = _run(db, "ticket", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert "Waiting on requester, P2" in shown.output
    assert "first response: met" in shown.output
    assert "resolution: paused" in shown.output
    assert "reply from sam@example.org: Which tray?" in shown.output
    assert "INTERNAL NOTE from sam@example.org: Fuser worn out" in shown.output

    listed = _run(db, "ticket", "list", "--view", "waiting", "--format", "json")
    assert '"title": "Ward 4 printer jams"' in listed.output
    mine = _run(
        db, "ticket", "list", "--view", "mine", "--as", "lee@example.org", "--format", "json"
    )
    assert '"assignee": "lee@example.org"' in mine.output

    explained = _run(db, "sla", "explain", "1")
    assert explained.exit_code == 0, explained.output
    assert explained.output.startswith("Ticket #1: rule 'Standard': it matches every ticket")
    assert "resolution: target 480 min on calendar time (24x7); paused" in explained.output


def test_it_says_in_one_line_what_is_wrong(db: Database, clock: FakeClock) -> None:
    requester_id = _arrange(db, clock)
    unknown = _run(db, "ticket", "show", "42")
    assert unknown.exit_code == 2
    assert unknown.output.strip() == "takepoint: there is no ticket #42"
    assert unknown.exception is None or isinstance(unknown.exception, SystemExit)

    empty = _run(db, "ticket", "open", "--requester", str(requester_id), "--title", " ")
    assert empty.exit_code == 2
    assert "the title is empty" in empty.output

    stranger = _run(db, "ticket", "reply", "1", "hi", "--as", "nobody@example.org")
    assert "no user with email nobody@example.org" in stranger.output

    whose = _run(db, "ticket", "list", "--view", "mine")
    assert whose.exit_code == 2
    assert "needs --as EMAIL" in whose.output
    assert "Traceback" not in whose.output + stranger.output + empty.output


def test_it_refuses_to_reply_on_a_closed_ticket(db: Database, clock: FakeClock) -> None:
    requester_id = _arrange(db, clock)
    _run(db, "ticket", "open", "--requester", str(requester_id), "--title", "Old printer")
    assert _run(db, "ticket", "state", "1", "closed", "--as", "sam@example.org").exit_code == 0
    late = _run(db, "ticket", "reply", "1", "One more thing", "--as", "sam@example.org")
    assert late.exit_code == 2
    assert "ticket #1 is closed; a reply goes on a new ticket" in late.output
