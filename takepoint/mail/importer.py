"""Mail in: store the raw message first, then turn it into a ticket, a reply or a note.

`store_raw` is all that runs before the commit that accepts a message (the IMAP fetch, the
`mail-in` pipe): one INSERT that does nothing when the Message-ID is there already, so the
same mail fetched twice, by two engines or after a crash, is one row. `import_message` runs
afterwards, in the engine's `mail_import` job; whatever it raises leaves the row `failed`, raw,
for an admin to see.

What decides a message's fate, in order:
1. From one of the desk's own addresses, or carrying Takepoint's key header: our own mail
   coming back. Kept, on no ticket.
2. A bounce: the mail it reports is found by its Message-ID, and the ticket gets a note that
   the requester could not be reached.
3. It answers a ticket (threads.find_ticket): from the ticket's requester it is their reply
   (desk.requester_reply: it reopens or opens a follow-up as the desk decides); from anyone
   else it opens a new ticket that follows the old one. An automatic answer (out of office)
   is only noted on the ticket: it is not the requester writing.
4. Otherwise a new ticket, acknowledged unless the message was automatic or the sender has
   had `ACK_LIMIT` acknowledgements within the hour (two desks mailing each other stop there,
   whatever their headers claim).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Message, Requester, Ticket
from takepoint.lib.db import is_postgresql
from takepoint.lib.settings import Settings
from takepoint.mail import evidence, fold, threads
from takepoint.mail.mailboxes import own_addresses
from takepoint.mail.models import (
    InboundState,
    Mailbox,
    MailMessage,
    MailOutgoing,
    OutgoingKind,
    OutgoingState,
)
from takepoint.mail.parse import Bounce, ParsedMail, parse, raw_message_id
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

# Acknowledgements to one address within ACK_WINDOW; past it, mail is still imported but
# nothing answers it automatically.
ACK_LIMIT = 3
ACK_WINDOW = timedelta(hours=1)
MAX_RAW_BYTES = 50 * 1024 * 1024
_CUT = "\n\n[… the rest is in the original message]"


def store_raw(
    session: Session,
    *,
    raw: bytes,
    now: datetime,
    mailbox_id: int | None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> int | None:
    """Keep a message as it arrived. Returns its row's id, or None when a message with its
    Message-ID is stored already (by this engine, another one, or the pipe)."""
    values = {
        "mailbox_id": mailbox_id,
        "message_id": raw_message_id(raw),
        "uidvalidity": uidvalidity,
        "uid": uid,
        "raw": raw,
        "received_at": now,
        "state": InboundState.RECEIVED,
        "sender": "",
        "subject": "",
        "text": "",
        "html": "",
        "reason": "",
    }
    table = MailMessage.__table__
    dialect = postgresql if is_postgresql(session) else sqlite
    statement = (
        dialect.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(table.c.id)
    )
    session.flush()
    new_id: int | None = session.execute(statement).scalar()
    return new_id


def _finish(row: MailMessage, state: InboundState, *, now: datetime, reason: str = "") -> None:
    row.state = state
    row.reason = reason[:2000]
    row.imported_at = now
    row.lease_until = None


def _requester(session: Session, parsed: ParsedMail, *, now: datetime) -> Requester:
    found = session.scalar(select(Requester).where(Requester.email == parsed.sender))
    if found is not None:
        return found
    name = parsed.sender_name or parsed.sender.split("@")[0]
    try:
        with session.begin_nested():
            return desk.create_requester(session, name=name, email=parsed.sender, now=now)
    except IntegrityError:
        # Another engine made them a moment ago, from another message of theirs.
        again = session.scalar(select(Requester).where(Requester.email == parsed.sender))
        if again is None:
            raise
        return again


def _body(parsed: ParsedMail) -> str:
    text = fold.latest_reply(parsed.text) or "(the message has no text)"
    if len(text) > desk.MAX_BODY:
        text = text[: desk.MAX_BODY - len(_CUT)] + _CUT
    return text


def _title(parsed: ParsedMail) -> str:
    title = threads.clean_subject(parsed.subject) or f"Email from {parsed.sender}"
    return title[: desk.MAX_TITLE]


def _last_message(session: Session, ticket: Ticket, requester: Requester) -> Message | None:
    return session.scalar(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.author_requester_id == requester.id)
        .order_by(Message.id.desc())
        .limit(1)
    )


def _note(session: Session, ticket: Ticket, *, text: str, at: datetime) -> Message:
    # An internal note from Takepoint itself: the desk page shows it to agents, never to the
    # requester.
    message = Message(
        ticket_id=ticket.id, public=False, body=text[: desk.MAX_BODY], channel=Channel.EMAIL, at=at
    )
    session.add(message)
    ticket.updated_at = at
    session.flush()
    return message


def _acknowledge(
    session: Session, row: MailMessage, ticket: Ticket, mailbox: Mailbox | None, *, now: datetime
) -> None:
    if mailbox is not None and not mailbox.acknowledge:
        return
    recent = session.scalar(
        select(func.count(MailOutgoing.id)).where(
            MailOutgoing.to_address == row.sender,
            MailOutgoing.kind == OutgoingKind.ACKNOWLEDGEMENT,
            MailOutgoing.created_at > now - ACK_WINDOW,
        )
    )
    limited = (recent or 0) >= ACK_LIMIT
    session.execute(
        insert(MailOutgoing).values(
            kind=OutgoingKind.ACKNOWLEDGEMENT,
            ticket_id=ticket.id,
            inbound_id=row.id,
            to_address=row.sender,
            state=OutgoingState.SKIPPED if limited else OutgoingState.PENDING,
            reason=f"{ACK_LIMIT} acknowledgements to this address within the hour"
            if limited
            else "",
            created_at=now,
        )
    )


def _bounce(session: Session, row: MailMessage, bounce: Bounce, *, now: datetime) -> None:
    sent = None
    if bounce.originals:
        sent = session.scalar(
            select(MailOutgoing).where(MailOutgoing.message_id.in_(bounce.originals)).limit(1)
        )
    ticket = session.get(Ticket, sent.ticket_id) if sent is not None else None
    if ticket is None:
        _finish(
            row, InboundState.IGNORED, now=now, reason="a bounce of mail that is not the desk's"
        )
        return
    recipient = bounce.recipient or (sent.to_address if sent is not None else "")
    text = f"Could not reach the requester at {recipient}: {bounce.reason}"
    message = _note(session, ticket, text=text, at=now)
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.DELIVERY,
        text=text,
        at=now,
        data={"bounce": True, "recipient": recipient, "reason": bounce.reason[:500]},
    )
    row.ticket_id, row.desk_message_id = ticket.id, message.id
    _finish(row, InboundState.IMPORTED, now=now, reason="a bounce of the desk's mail")


def _automatic_answer(
    session: Session, row: MailMessage, parsed: ParsedMail, ticket: Ticket, *, now: datetime
) -> None:
    text = f"Automatic answer from {parsed.sender} ({parsed.automatic}):\n\n{_body(parsed)}"
    message = _note(session, ticket, text=text, at=now)
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.MESSAGE,
        text=f"An automatic answer came from {parsed.sender}; nothing was sent back",
        at=now,
        data={"message_id": message.id, "automatic": parsed.automatic},
    )
    row.ticket_id, row.desk_message_id = ticket.id, message.id
    _finish(row, InboundState.IMPORTED, now=now, reason=parsed.automatic)


def import_message(
    session: Session, row: MailMessage, *, settings: Settings, now: datetime
) -> None:
    """Read one stored message and put it where it belongs (see the module's docstring)."""
    if len(row.raw) > MAX_RAW_BYTES:
        _finish(row, InboundState.FAILED, now=now, reason="larger than 50 MB; kept raw")
        return
    parsed = parse(row.raw)
    row.sender, row.subject = parsed.sender, parsed.subject
    row.text, row.html = parsed.text, parsed.html
    if not parsed.sender:
        _finish(row, InboundState.FAILED, now=now, reason="no sender address could be read")
        return
    if parsed.sender in own_addresses(session, settings) or parsed.takepoint_key:
        _finish(row, InboundState.IGNORED, now=now, reason="the desk's own mail, come back")
        return
    if parsed.bounce is not None:
        _bounce(session, row, parsed.bounce, now=now)
        return
    mailbox = row.mailbox
    found = threads.find_ticket(session, answers=parsed.threads_by, subject=parsed.subject)
    requester = _requester(session, parsed, now=now)
    if found is not None and parsed.automatic:
        _automatic_answer(session, row, parsed, found.ticket, now=now)
        return
    if found is not None and found.ticket.requester_id == requester.id:
        ticket = desk.requester_reply(
            session,
            ticket_id=found.ticket.id,
            requester_id=requester.id,
            body=_body(parsed),
            now=now,
            channel=Channel.EMAIL,
        )
        message = _last_message(session, ticket, requester)
        row.ticket_id = ticket.id
        row.desk_message_id = message.id if message is not None else None
        how = f"a reply found by {found.by}"
        if ticket.id != found.ticket.id:
            how += f"; ticket #{found.ticket.id} was closed, so it opened #{ticket.id}"
    else:
        ticket = desk.open_ticket(
            session,
            requester_id=requester.id,
            title=_title(parsed),
            description=_body(parsed),
            channel=Channel.EMAIL,
            now=now,
            category_id=mailbox.category_id if mailbox is not None else None,
            follows_id=found.ticket.id if found is not None else None,
        )
        if mailbox is not None and mailbox.team_id is not None and ticket.team_id is None:
            ticket.team_id = mailbox.team_id
        row.ticket_id = ticket.id
        how = "a new ticket"
        if found is not None:
            how += f" following #{found.ticket.id} (the sender is not on that ticket)"
        if not parsed.automatic:
            _acknowledge(session, row, ticket, mailbox, now=now)
    evidence.attach_files(
        session,
        ticket=ticket,
        requester=requester,
        files=parsed.files,
        message_id=row.desk_message_id,
        settings=settings,
        now=now,
    )
    _finish(row, InboundState.IMPORTED, now=now, reason=how)
