"""Reading what came in: a message's original (headers, full text, sanitised HTML, the raw
bytes), the messages that could not be read, and testing a mailbox's connection."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.lib.errors import NotFound, TakepointError
from takepoint.mail.imap import ImapProblem, check
from takepoint.mail.mailboxes import account_of
from takepoint.mail.models import InboundState, Mailbox, MailMessage
from takepoint.mail.parse import LENIENT, header

SHOWN_HEADERS = (
    "From",
    "To",
    "Cc",
    "Date",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "Auto-Submitted",
)


@dataclass(frozen=True)
class Original:
    row: MailMessage
    headers: list[tuple[str, str]]

    @property
    def size(self) -> int:
        return len(self.row.raw)


def _view(row: MailMessage) -> Original:
    try:
        parsed = BytesHeaderParser(policy=LENIENT).parsebytes(row.raw)
        headers = [(name, header(parsed, name)) for name in SHOWN_HEADERS if header(parsed, name)]
    except (ValueError, LookupError, TypeError, IndexError):
        headers = []
    return Original(row=row, headers=headers)


def by_id(session: Session, inbound_id: int) -> Original:
    row = session.get(MailMessage, inbound_id)
    if row is None:
        raise NotFound(f"there is no stored mail message {inbound_id}")
    return _view(row)


def for_desk_message(session: Session, desk_message_id: int) -> Original:
    row = session.scalar(
        select(MailMessage).where(MailMessage.desk_message_id == desk_message_id).limit(1)
    )
    if row is None:
        raise NotFound(f"message {desk_message_id} did not arrive by email")
    return _view(row)


def opening(session: Session, ticket_id: int) -> Original:
    """The mail that opened a ticket (or, failing that, its first)."""
    row = session.scalar(
        select(MailMessage)
        .where(MailMessage.ticket_id == ticket_id)
        .order_by(MailMessage.desk_message_id.is_not(None), MailMessage.id)
        .limit(1)
    )
    if row is None:
        raise NotFound(f"ticket #{ticket_id} did not come by email")
    return _view(row)


def problems(session: Session, *, limit: int = 50) -> list[MailMessage]:
    """Messages that could not be read, newest first: kept raw for an admin."""
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.state == InboundState.FAILED)
            .order_by(MailMessage.id.desc())
            .limit(limit)
        ).unique()
    )


def test_mailbox(mailbox: Mailbox) -> dict[str, Any]:
    """Each step that passed and, if one failed, which and why (DNS, connect, TLS, login,
    folder), in words for the settings page, the API and the CLI."""
    if not mailbox.imap_host:
        return {"ok": False, "step": "settings", "passed": [], "problem": "no IMAP host is set"}
    try:
        passed = check(account_of(mailbox))
    except ImapProblem as exc:
        return {"ok": False, "step": exc.step, "passed": exc.passed, "problem": exc.message}
    except TakepointError as exc:
        return {"ok": False, "step": "settings", "passed": [], "problem": exc.message}
    return {"ok": True, "step": "", "passed": passed, "problem": ""}
