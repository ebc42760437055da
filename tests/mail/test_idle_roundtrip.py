"""The whole conversation through real servers: a mail to the desk becomes a ticket within
5 s through IDLE, the requester is acknowledged, their reply joins the ticket, and the agent's
answer arrives threaded in their mailbox."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk import service as desk
from takepoint.desk.models import Message, SlaRule, Ticket
from takepoint.engine.loop import EngineThread
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.mail.models import InboundState, MailMessage
from tests.conftest import BoundDatabase
from tests.factories import make_engine, make_user, registry_jobs
from tests.mail.dovecot import Dovecot
from tests.mail.helpers import DESK, mail, make_mailbox
from tests.notify.receivers import ReceivedMail, SmtpReceiver

JOBS = ("mail_import", "mail_outgoing", "deliver", "mail_fetch")


def _wait(condition: Callable[[], object], what: str, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture
def engine(db: BoundDatabase, mail_context: Context) -> Iterator[EngineThread]:
    thread = EngineThread(
        make_engine(db, jobs=registry_jobs(mail_context, *JOBS), tick_seconds=0.2)
    )
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


def _ticket_of(session: Session, message_id: str) -> int | None:
    return session.scalar(
        select(MailMessage.ticket_id).where(
            MailMessage.message_id == message_id, MailMessage.state == InboundState.IMPORTED
        )
    )


def test_it_turns_mail_into_a_ticket_through_idle_and_threads_the_conversation(
    db: BoundDatabase,
    clock: FakeClock,
    session: Session,
    dovecot: Dovecot,
    smtp_server: SmtpReceiver,
    engine: EngineThread,
) -> None:
    make_mailbox(db, clock, dovecot=dovecot)
    session.add(SlaRule(name="All", position=10, first_response_minutes=90, warn_percent=75))
    # The engine connects, finds the empty inbox and sits in IDLE; the fake clock never moves,
    # so no poll comes due: only IDLE can bring the mail in.
    time.sleep(1.0)
    dovecot.deliver(DESK, mail(message_id="<ask@ward3.example>"))
    took = _wait(lambda: _ticket_of(session, "<ask@ward3.example>"), "the ticket")
    assert took < 5.0
    ticket_id = _ticket_of(session, "<ask@ward3.example>")
    assert ticket_id is not None

    [ack] = smtp_server.wait_for(1)
    assert ack.recipients == ("dana@ward3.example",)
    assert f"[#{ticket_id}]" in ack.subject
    assert ack.message["From"] == DESK
    assert ack.message["Auto-Submitted"] == "auto-replied"
    assert ack.message["In-Reply-To"] == "<ask@ward3.example>"
    # The SLA promise in words: 90 minutes from Monday 09:00 UTC.
    assert "We will answer by Monday 02 March, 10:30 (UTC)." in ack.text

    # The requester's client answers the acknowledgement: it joins the ticket.
    dovecot.deliver(
        DESK,
        mail(
            subject=f"Re: {ack.subject}",
            body="It also prints blank pages.\n\nOn Mon, helpdesk wrote:\n> we have it\n",
            message_id="<more@ward3.example>",
            in_reply_to=ack.message_id,
            references=["<ask@ward3.example>", ack.message_id],
        ),
    )
    _wait(lambda: _ticket_of(session, "<more@ward3.example>") == ticket_id, "the reply")
    bodies = session.scalars(select(Message.body).where(Message.ticket_id == ticket_id))
    assert "It also prints blank pages." in list(bodies)

    # The agent answers on the desk: the mail goes out threaded.
    agent = make_user(session, clock, name="Ana Lyst")
    with db.session() as s:
        desk.reply(s, ticket_id=ticket_id, body="Fixed: new drum.", user=agent, now=clock.now())
    mails = smtp_server.wait_for(2)
    answer: ReceivedMail = mails[1]
    assert answer.subject == f"Re: [#{ticket_id}] The printer on ward 3 is jammed"
    assert answer.message["From"] == DESK
    assert answer.message["In-Reply-To"] == "<more@ward3.example>"
    references = str(answer.message["References"]).split()
    assert references[0] == "<ask@ward3.example>"
    assert ack.message_id in references and "<more@ward3.example>" in references
    assert answer.message["Auto-Submitted"] == "no"
    assert "Fixed: new drum." in answer.text
    # Imported mail is flagged on the server, and never marked \Seen by Takepoint.
    flags = dovecot.flags(DESK)
    assert all(b"$Takepoint" in f and b"\\Seen" not in f for f in flags.values())
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
