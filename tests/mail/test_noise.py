"""Out-of-office replies, bounces and list mail get no automatic answer; a bounce of the
desk's own mail is recorded on its ticket; two desks mailing each other stop at the limit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.desk.models import Message
from takepoint.lib.clock import FakeClock
from takepoint.mail.importer import ACK_LIMIT
from takepoint.mail.models import InboundState, MailOutgoing, OutgoingKind, OutgoingState
from takepoint.timeline.models import EntryKind, TimelineEntry
from tests.conftest import BoundDatabase
from tests.mail.helpers import DESK, inbound, mail, make_mailbox, receive


def _acks(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(MailOutgoing.id)).where(
                MailOutgoing.kind == OutgoingKind.ACKNOWLEDGEMENT,
                MailOutgoing.state != OutgoingState.SKIPPED,
            )
        )
        or 0
    )


def test_out_of_office_and_list_mail_get_no_acknowledgement(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    for headers in (
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<nurses.ward3.example>"},
        {"X-Autoreply": "yes"},
    ):
        row = inbound(session, receive(db, clock, mail(headers=headers), mailbox_id=mailbox.id))
        assert row.state is InboundState.IMPORTED
    assert _acks(session) == 0


def test_an_out_of_office_answer_is_noted_on_the_ticket_not_counted_as_a_reply(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    first = inbound(session, receive(db, clock, mail(message_id="<q@w>"), mailbox_id=mailbox.id))
    ooo = mail(
        subject="Automatic reply: The printer",
        body="I am away until Monday.",
        in_reply_to="<q@w>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    row = inbound(session, receive(db, clock, ooo, mailbox_id=mailbox.id))
    assert row.ticket_id == first.ticket_id
    note = session.get(Message, row.desk_message_id)
    assert note is not None and not note.public
    assert "I am away until Monday." in note.body
    assert _acks(session) == 1


def _bounce(original_id: str, recipient: str) -> bytes:
    # A delivery report as Postfix writes one (RFC 3464): multipart/report with the
    # machine-readable status and the returned message's headers.
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.ward3.example>
To: {DESK}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.ward3.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.ward3.example. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.ward3.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: no such user

--B
Content-Type: text/rfc822-headers

From: {DESK}
To: {recipient}
Message-ID: {original_id}
Subject: [#1] The printer

--B--
""".replace("\n", "\r\n").encode()


def test_a_bounce_of_the_acknowledgement_is_recorded_on_the_ticket(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    ticket_id = inbound(session, receive(db, clock, mail(), mailbox_id=mailbox.id)).ticket_id
    ack = session.scalar(select(MailOutgoing).where(MailOutgoing.ticket_id == ticket_id))
    assert ack is not None and ack.message_id is not None
    row = inbound(
        session,
        receive(db, clock, _bounce(ack.message_id, "dana@ward3.example"), mailbox_id=mailbox.id),
    )
    assert row.ticket_id == ticket_id
    note = session.get(Message, row.desk_message_id)
    assert note is not None and not note.public
    assert note.body.startswith("Could not reach the requester at dana@ward3.example")
    entry = session.scalar(
        select(TimelineEntry).where(
            TimelineEntry.chain == f"ticket:{ticket_id}", TimelineEntry.kind == EntryKind.DELIVERY
        )
    )
    assert entry is not None and "550 5.1.1" in entry.text
    assert _acks(session) == 1


def test_mail_from_the_desk_itself_is_kept_but_put_on_no_ticket(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    row = inbound(session, receive(db, clock, mail(sender=DESK), mailbox_id=mailbox.id))
    assert row.state is InboundState.IGNORED and row.ticket_id is None


def test_two_desks_that_strip_each_others_headers_stop_at_the_rate_limit(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    # Another desk answers every mail with a new "ticket opened" message and no headers that
    # would say so: each one looks like a new request from a person.
    mailbox = make_mailbox(db, clock)
    for n in range(10):
        receive(
            db,
            clock,
            mail(sender="Other desk <desk@vendor.example>", subject=f"Ticket {n} opened"),
            mailbox_id=mailbox.id,
        )
    assert _acks(session) == ACK_LIMIT
