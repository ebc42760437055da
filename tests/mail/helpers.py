"""Making mailboxes and messages for the mail tests, and running the mail jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.context import bind
from takepoint.mail import jobs, outgoing
from takepoint.mail.importer import store_raw
from takepoint.mail.mailboxes import MailboxFields, create_mailbox
from takepoint.mail.models import Mailbox, MailMessage, Security
from tests.conftest import BoundDatabase
from tests.mail.dovecot import PASSWORD, Dovecot

DESK = "helpdesk@stmarys.example"
_n = count(1)


def make_mailbox(
    db: BoundDatabase, clock: FakeClock, *, dovecot: Dovecot | None = None, **changes: object
) -> Mailbox:
    fields = MailboxFields(name=f"helpdesk{next(_n)}", address=DESK)
    if dovecot is not None:
        fields = MailboxFields(
            name=fields.name,
            address=DESK,
            imap_host=dovecot.host,
            imap_port=dovecot.port,
            security=Security.NONE,
            username=DESK,
            secret=PASSWORD,
        )
    values = {**fields.__dict__, **changes}
    with db.session() as session:
        mailbox = create_mailbox(session, fields=MailboxFields(**values), now=clock.now())
    return mailbox


def mail(
    *,
    sender: str = "Dana Field <dana@ward3.example>",
    to: str = DESK,
    subject: str = "The printer on ward 3 is jammed",
    body: str = "Hello IT,\n\nthe printer by the nurses' station is jammed again.\n\nDana\n",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    message["Message-ID"] = message_id or make_msgid(domain="ward3.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def receive(db: BoundDatabase, clock: FakeClock, raw: bytes, *, mailbox_id: int | None) -> int:
    """Store a message raw, as the fetch or the pipe would, and import it as the job does."""
    with db.session() as session:
        inbound_id = store_raw(session, raw=raw, now=clock.now(), mailbox_id=mailbox_id)
    assert inbound_id is not None
    run_mail_jobs(db, clock)
    return inbound_id


def run_mail_jobs(db: BoundDatabase, clock: FakeClock, worker: str = "engine-a") -> None:
    """The paging lane's mail jobs, in the registry's order: import, then queue what goes out."""
    for job in (jobs.run_once, outgoing.run_once):
        with db.session() as session:
            bind(session, db.context.for_worker(worker))
            job(session, clock.now())


def inbound(session: Session, inbound_id: int) -> MailMessage:
    row = session.scalar(
        select(MailMessage)
        .where(MailMessage.id == inbound_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row
