"""`takepoint mail-in` for a mail server's pipe, with sendmail's exit codes, and
`takepoint mailbox list|test|fetch`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from takepoint.cli.main import app as cli
from takepoint.desk.models import Ticket
from takepoint.lib.clock import FakeClock
from takepoint.mail.models import InboundState, MailMessage
from tests.conftest import BoundDatabase
from tests.mail.dovecot import Dovecot
from tests.mail.helpers import DESK, mail, make_mailbox


def _run(db: BoundDatabase, tmp_path: Path, *args: str, stdin: bytes = b"") -> Result:
    env = {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_SECRET_KEY": "test-secret-key-test-secret-key",
        "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
    }
    return CliRunner().invoke(cli, list(args), env=env, input=stdin)


def test_mail_in_stores_and_imports_a_piped_message(
    db: BoundDatabase, clock: FakeClock, tmp_path: Path
) -> None:
    mailbox = make_mailbox(db, clock)
    raw = mail(message_id="<piped@ward3.example>")
    result = _run(db, tmp_path, "mail-in", "--mailbox", mailbox.name, stdin=raw)
    assert result.exit_code == 0, result.output
    again = _run(db, tmp_path, "mail-in", "--mailbox", mailbox.name, stdin=raw)
    assert again.exit_code == 0 and "stored before" in again.output
    with db.session() as s:
        row = s.scalar(select(MailMessage))
        assert row is not None and row.state is InboundState.IMPORTED
        assert s.scalar(select(func.count(Ticket.id))) == 1


def test_mail_in_answers_with_sendmail_exit_codes(
    db: BoundDatabase, clock: FakeClock, tmp_path: Path
) -> None:
    mailbox = make_mailbox(db, clock)
    assert _run(db, tmp_path, "mail-in", "--mailbox", "nope", stdin=mail()).exit_code == 67
    assert _run(db, tmp_path, "mail-in", "--mailbox", mailbox.name, stdin=b"").exit_code == 65
    not_mail = b"just some words\nand more\n"
    assert _run(db, tmp_path, "mail-in", "--mailbox", mailbox.name, stdin=not_mail).exit_code == 65


def test_mailbox_test_names_the_failing_step_and_fetch_imports(
    db: BoundDatabase, clock: FakeClock, tmp_path: Path, dovecot: Dovecot
) -> None:
    mailbox = make_mailbox(db, clock, dovecot=dovecot)
    ok = _run(db, tmp_path, "mailbox", "test", mailbox.name)
    assert ok.exit_code == 0, ok.output
    assert "IDLE offered" in ok.output
    bad = make_mailbox(db, clock, dovecot=dovecot, address="it@stmarys.example", folder="Nope")
    failed = _run(db, tmp_path, "mailbox", "test", bad.name)
    assert failed.exit_code == 1 and "folder" in failed.output
    dovecot.deliver(DESK, mail(), mail())
    fetched = _run(db, tmp_path, "mailbox", "fetch", mailbox.name)
    assert fetched.exit_code == 0, fetched.output
    assert "2 new messages" in fetched.output
    listed = _run(db, tmp_path, "mailbox", "list", "--format", "json")
    assert listed.exit_code == 0 and '"last_uid": 2' in listed.output
