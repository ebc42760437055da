"""Replies join their ticket by In-Reply-To/References, then by the subject's [#1234]; a
stranger quoting a ticket's token opens a new ticket that follows it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk.models import Channel, FollowUp, Message, Ticket
from takepoint.lib.clock import FakeClock
from takepoint.mail.models import MailOutgoing, OutgoingKind
from takepoint.mail.threads import clean_subject, token
from tests.conftest import BoundDatabase
from tests.mail.helpers import inbound, mail, make_mailbox, receive


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("Re: Printer jammed", "Printer jammed"),
        ("AW: Drucker", "Drucker"),
        ("SV: Skrivare", "Skrivare"),
        ("VS: Tulostin", "Tulostin"),
        ("Antw: Printer", "Printer"),
        ("RE:RE: Re: printer", "printer"),
        ("Re[2]: printer", "printer"),
        ("WG: Fwd: [#12] Re: printer", "printer"),
        ("Re: [#12] printer", "printer"),
    ],
)
def test_it_strips_reply_prefixes_in_many_languages(subject: str, title: str) -> None:
    assert clean_subject(subject) == title


def test_it_reads_the_ticket_token() -> None:
    assert token("AW: [#1234] Drucker") == 1234
    assert token("Drucker #1234") is None


def test_it_opens_a_ticket_and_joins_a_reply_by_in_reply_to(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    first = receive(db, clock, mail(message_id="<first@ward3.example>"), mailbox_id=mailbox.id)
    ticket_id = inbound(session, first).ticket_id
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None and ticket.channel is Channel.EMAIL
    assert ticket.title == "The printer on ward 3 is jammed"
    assert ticket.requester.email == "dana@ward3.example"
    reply = mail(
        subject="Re: something else entirely",
        body="It is jammed again.\n\nOn Mon, IT wrote:\n> Please restart it.\n",
        in_reply_to="<first@ward3.example>",
    )
    second = receive(db, clock, reply, mailbox_id=mailbox.id)
    row = inbound(session, second)
    assert row.ticket_id == ticket_id
    message = session.get(Message, row.desk_message_id)
    assert message is not None and message.channel is Channel.EMAIL
    # The quoted history is folded away on the ticket; the original keeps it.
    assert message.body == "It is jammed again."
    assert "Please restart it." in row.text


def test_it_joins_by_the_subject_token_when_headers_are_gone(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    ticket_id = inbound(session, receive(db, clock, mail(), mailbox_id=mailbox.id)).ticket_id
    again = receive(
        db, clock, mail(subject=f"AW: [#{ticket_id}] Drucker", body="Noch da."), mailbox_id=None
    )
    assert inbound(session, again).ticket_id == ticket_id


def test_a_stranger_quoting_the_token_opens_a_linked_ticket(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    ticket_id = inbound(session, receive(db, clock, mail(), mailbox_id=mailbox.id)).ticket_id
    other = receive(
        db,
        clock,
        mail(sender="Sam <sam@ward5.example>", subject=f"Re: [#{ticket_id}] printer"),
        mailbox_id=mailbox.id,
    )
    new_id = inbound(session, other).ticket_id
    assert new_id is not None and new_id != ticket_id
    link = session.scalar(select(FollowUp).where(FollowUp.ticket_id == new_id))
    assert link is not None and link.follows_id == ticket_id
    acks = session.scalars(
        select(MailOutgoing.to_address).where(MailOutgoing.kind == OutgoingKind.ACKNOWLEDGEMENT)
    )
    assert sorted(acks) == ["dana@ward3.example", "sam@ward5.example"]


def test_the_same_message_id_twice_is_one_entry(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    from takepoint.mail.importer import store_raw

    raw = mail(message_id="<once@ward3.example>")
    with db.session() as s:
        first = store_raw(s, raw=raw, now=clock.now(), mailbox_id=None)
        second = store_raw(s, raw=raw, now=clock.now(), mailbox_id=None)
    assert first is not None and second is None
