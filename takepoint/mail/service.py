"""Mail in without the engine: a message piped in by a mail server, and fetching a mailbox
once from the command line. Both store first and commit, then import, like the engine jobs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.mail import jobs
from takepoint.mail.fetch import fetch_mailbox
from takepoint.mail.imap import open_connection
from takepoint.mail.importer import store_raw
from takepoint.mail.mailboxes import account_of, get_mailbox
from takepoint.mail.models import MailMessage

UnitOfWork = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Received:
    inbound_id: int | None
    # False: a message with its Message-ID was stored before.
    new: bool


def receive(
    unit_of_work: UnitOfWork, *, mailbox_id: int, raw: bytes, worker: str, now: datetime
) -> Received:
    """Store a piped message (committed: it is accepted) and then import it."""
    with unit_of_work() as session:
        inbound_id = store_raw(session, raw=raw, now=now, mailbox_id=mailbox_id)
    if inbound_id is None:
        return Received(None, new=False)
    with unit_of_work() as session:
        jobs.import_now(session, inbound_id=inbound_id, worker=worker, now=now)
    return Received(inbound_id, new=True)


def fetch_once(
    unit_of_work: UnitOfWork, *, mailbox_id: int, worker: str, now: datetime
) -> list[MailMessage]:
    """Fetch everything new from a mailbox now, and import it; the stored rows."""
    with unit_of_work() as session:
        mailbox = get_mailbox(session, mailbox_id)
        account = account_of(mailbox)
    connection = open_connection(account)
    stored: list[int] = []
    try:
        more = True
        while more:
            with unit_of_work() as session:
                mailbox = get_mailbox(session, mailbox_id)
                batch = fetch_mailbox(session, mailbox, connection, now=now)
            stored += batch.stored
            more = batch.more
    finally:
        connection.close()
    rows = []
    for inbound_id in stored:
        with unit_of_work() as session:
            jobs.import_now(session, inbound_id=inbound_id, worker=worker, now=now)
            row = session.get(MailMessage, inbound_id)
            if row is not None:
                rows.append(row)
    return rows
