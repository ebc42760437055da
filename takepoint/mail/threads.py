"""Which ticket a message belongs to: by the Message-IDs it answers, then by `[#1234]`.

In-Reply-To and References are tried first, against every Message-ID the desk received or
sent: they survive a changed subject and cannot be guessed. The subject's ticket token comes
second, for mail clients that drop those headers. Reply and forward prefixes are removed in
the languages mail clients write them (Re, AW, SV, VS, Antw, RE:RE:, Re[2]:, WG, TR...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk.models import Ticket
from takepoint.mail.models import MailMessage, MailOutgoing

_TOKEN = re.compile(r"\[#(\d{1,9})\]")
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|antwort|ynt|odp|ref|rif|r|wg|fw|fwd|tr|rv|doorst|vb|enc)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*)+",  # \uff1a: the full-width colon
    re.IGNORECASE,
)
_EMPTY_TOKEN = re.compile(r"\s*\[#\d{1,9}\]\s*")
# Long References chains keep the first (the thread's root) and the most recent.
MAX_REFERENCES = 10


@dataclass(frozen=True)
class Found:
    ticket: Ticket
    # "references" or "subject token": how it was found, for the timeline.
    by: str


def token(subject: str) -> int | None:
    match = _TOKEN.search(subject)
    return int(match.group(1)) if match else None


def clean_subject(subject: str) -> str:
    """The subject without reply prefixes and ticket tokens: a ticket's title."""
    text = subject
    for _ in range(5):  # "Re: [#3] AW: Re: ..." peels in a few rounds
        before = text
        text = _PREFIX.sub("", _EMPTY_TOKEN.sub(" ", text)).strip()
        if text == before:
            break
    return " ".join(text.split())


def with_token(ticket_id: int, subject: str) -> str:
    return f"[#{ticket_id}] {clean_subject(subject) or 'Your request'}"


def find_ticket(session: Session, *, answers: Sequence[str], subject: str) -> Found | None:
    if answers:
        received = {
            mid: ticket_id
            for mid, ticket_id in session.execute(
                select(MailMessage.message_id, MailMessage.ticket_id).where(
                    MailMessage.message_id.in_(answers), MailMessage.ticket_id.is_not(None)
                )
            )
        }
        sent = {
            mid: ticket_id
            for mid, ticket_id in session.execute(
                select(MailOutgoing.message_id, MailOutgoing.ticket_id).where(
                    MailOutgoing.message_id.in_(answers)
                )
            )
        }
        for mid in answers:  # the nearest first
            ticket_id = received.get(mid) or sent.get(mid)
            if ticket_id is not None and (ticket := session.get(Ticket, ticket_id)) is not None:
                return Found(ticket, "references")
    number = token(subject)
    if number is not None and (ticket := session.get(Ticket, number)) is not None:
        return Found(ticket, "subject token")
    return None


def thread_ids(session: Session, *, ticket_id: int) -> list[str]:
    """The ticket's Message-IDs, oldest first: what a reply's References lists."""
    received = session.execute(
        select(MailMessage.received_at, MailMessage.message_id).where(
            MailMessage.ticket_id == ticket_id
        )
    )
    sent = session.execute(
        select(MailOutgoing.created_at, MailOutgoing.message_id).where(
            MailOutgoing.ticket_id == ticket_id, MailOutgoing.message_id.is_not(None)
        )
    )
    ordered = sorted([(at, mid) for at, mid in [*received, *sent]], key=lambda pair: pair[0])
    ids = [mid for _, mid in ordered if mid]
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids
