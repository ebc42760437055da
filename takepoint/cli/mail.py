"""`takepoint mailbox` (list, test, fetch) and `takepoint mail-in`, the mail server's pipe.

`mail-in` answers with the exit codes of sendmail's sysexits.h, which Postfix and Exim read:
0 once the message is stored (committed; reading it may still fail, and then it is kept raw
for an admin), 75 (EX_TEMPFAIL) when it could not be stored and the mail server should try
again, 65 (EX_DATAERR) for input that is not a message, 67 (EX_NOUSER) for an unknown
mailbox, 78 (EX_CONFIG) for bad settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from takepoint.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    context,
    database,
    fail,
    now,
    print_rows,
    unit_of_work,
)
from takepoint.lib.context import bind
from takepoint.lib.errors import NotFound, TakepointError
from takepoint.lib.settings import load_settings
from takepoint.mail import mailboxes, originals, service
from takepoint.mail.imap import ImapProblem
from takepoint.mail.importer import MAX_RAW_BYTES

mailbox_app = typer.Typer(help="Desk mailboxes: list, test and fetch them.", no_args_is_help=True)

EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75
EX_CONFIG = 78


@mailbox_app.command("list")
def list_mailboxes(fmt: OutputFormat = FormatOption) -> None:
    """Every desk mailbox and how its fetching goes (secrets are never shown)."""
    with unit_of_work() as session:
        rows = [
            {
                "name": m.name,
                "address": m.address,
                "enabled": m.enabled,
                "imap": f"{m.imap_host}:{m.imap_port} {m.security.value}"
                if m.imap_host
                else "pipe",
                "folder": m.folder,
                "last_uid": m.last_uid,
                "last_checked_at": m.last_checked_at.isoformat(timespec="seconds")
                if m.last_checked_at
                else None,
                "last_error": m.last_error,
            }
            for m in mailboxes.list_mailboxes(session)
        ]
    columns = ["name", "address", "enabled", "imap", "folder", "last_uid", "last_checked_at"]
    print_rows(rows, [*columns, "last_error"], fmt, title="Desk mailboxes")


@mailbox_app.command("test")
def test_mailbox(name: str) -> None:
    """Connect to the mailbox's server and say which step fails: DNS, connect, TLS, login,
    folder."""
    with unit_of_work() as session:
        mailbox = mailboxes.mailbox_named(session, name)
        result = originals.test_mailbox(mailbox)
    for step in result["passed"]:
        console.print(f"✓ {step}", highlight=False)
    if not result["ok"]:
        fail(f"{result['step']}: {result['problem']}", code=1)
    console.print(f"The mailbox {name} works.")


def _worker(what: str) -> str:
    return f"{what}:{os.getpid()}"


@contextmanager
def _units() -> Iterator[service.UnitOfWork]:
    bound = context()
    with database() as db:

        @contextmanager
        def unit() -> Iterator[Session]:
            with db.session() as session:
                bind(session, bound)
                yield session

        yield unit


@mailbox_app.command("fetch")
def fetch_mailbox(name: str) -> None:
    """Fetch what is new in the mailbox now and import it (the engine does this by itself)."""
    with unit_of_work() as session:
        mailbox_id = mailboxes.mailbox_named(session, name).id
    try:
        with _units() as unit:
            rows = service.fetch_once(
                unit, mailbox_id=mailbox_id, worker=_worker("mailbox-fetch"), now=now()
            )
    except ImapProblem as exc:
        fail(f"{exc.step}: {exc.message}", code=1)
    except TakepointError as exc:
        fail(exc.message, code=1)
    for row in rows:
        where = f"ticket #{row.ticket_id}" if row.ticket_id else "no ticket"
        console.print(f"{row.message_id}: {row.state.value}, {where} ({row.reason})")
    console.print(f"{len(rows)} new message{'s' if len(rows) != 1 else ''} from {name}.")


def mail_in(
    mailbox: str = typer.Option(..., "--mailbox", help="the mailbox's name"),
) -> None:
    """Read one message on standard input (a Postfix or Exim pipe) and make it a ticket or a
    reply. Exit codes follow sendmail's: 75 tells the mail server to try again later."""
    try:
        load_settings()
    except TakepointError as exc:
        fail(exc.message, code=EX_CONFIG)
    raw = sys.stdin.buffer.read(MAX_RAW_BYTES + 1)
    if not raw.strip():
        fail("no message on standard input", code=EX_DATAERR)
    if len(raw) > MAX_RAW_BYTES:
        fail("the message is larger than 50 MB", code=EX_DATAERR)
    if b":" not in raw.split(b"\n", 1)[0]:
        fail("standard input is not an RFC 5322 message (no header first)", code=EX_DATAERR)
    try:
        with _units() as unit:
            with unit() as session:
                try:
                    mailbox_id = mailboxes.mailbox_named(session, mailbox).id
                except NotFound as exc:
                    fail(exc.message, code=EX_NOUSER)
            received = service.receive(
                unit, mailbox_id=mailbox_id, raw=raw, worker=_worker("mail-in"), now=now()
            )
    except (SQLAlchemyError, OSError) as exc:
        fail(f"the message could not be stored, try again later: {exc}", code=EX_TEMPFAIL)
    if received.new:
        console.print(f"stored as message {received.inbound_id}", highlight=False)
    else:
        console.print("a message with this Message-ID was stored before", highlight=False)
