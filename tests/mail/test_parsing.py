"""Real-world message shapes: charsets and encoded words, HTML only, Outlook and Gmail replies,
forwarded mail, attachments as evidence."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk.models import Attachment, Ticket
from takepoint.lib.clock import FakeClock
from takepoint.mail.parse import parse
from takepoint.timeline.models import EntryKind, TimelineEntry
from tests.conftest import BoundDatabase
from tests.mail.helpers import DESK, inbound, make_mailbox, receive

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
) + bytes(5000)


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("latin-1")


def test_it_decodes_latin1_bodies_and_encoded_subjects() -> None:
    raw = _crlf(
        "From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@klinik.example>\n"
        f"To: {DESK}\nSubject: =?utf-8?b?RHJ1Y2tlciBkZWZla3Qg4oCTIGRyaW5nZW5k?=\n"
        "Message-ID: <l1@klinik.example>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "Der Drucker im B=FCro druckt nicht.\n"
    )
    parsed = parse(raw)
    assert parsed.sender_name == "Jürgen Müller"
    assert parsed.subject == "Drucker defekt \u2013 dringend"
    assert "Der Drucker im Büro druckt nicht." in parsed.text


def test_html_only_mail_is_sanitised_and_given_a_text() -> None:
    raw = _crlf(
        f"From: a@b.example\nTo: {DESK}\nSubject: hi\nMessage-ID: <h1@b>\nMIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n\n"
        "<p>The <b>scanner</b> is broken<script>alert(1)</script></p>"
        '<p onclick="x()">Please help<img src="https://tracker.example/p.gif"></p>\n'
    )
    parsed = parse(raw)
    assert "script" not in parsed.html and "onclick" not in parsed.html
    assert "tracker.example" not in parsed.html
    assert "<b>scanner</b>" in parsed.html
    assert parsed.text.splitlines() == ["The scanner is broken", "Please help"]


def test_outlook_replies_are_folded_on_the_ticket(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    raw = _crlf(
        f"From: Dana <dana@ward3.example>\nTo: {DESK}\nSubject: RE: printer\n"
        "Message-ID: <o1@ward3>\nContent-Type: text/plain; charset=utf-8\n\n"
        "Still broken.\n\nFrom: IT Desk <helpdesk@stmarys.example>\n"
        "Sent: Monday, March 2, 2026 9:00 AM\nTo: Dana\nSubject: printer\n\nPlease restart it.\n"
    )
    row = inbound(session, receive(db, clock, raw, mailbox_id=mailbox.id))
    ticket = session.get(Ticket, row.ticket_id)
    assert ticket is not None and ticket.description == "Still broken."
    assert "Please restart it." in row.text


def test_a_forwarded_message_keeps_its_text() -> None:
    inner = "From: boss@b.example\nSubject: VPN\n\nThe VPN is down for the ward.\n"
    raw = _crlf(
        f"From: a@b.example\nTo: {DESK}\nSubject: Fwd: VPN\nMessage-ID: <f1@b>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="X"\n\n--X\nContent-Type: text/plain\n\n'
        "See below.\n--X\nContent-Type: message/rfc822\n\n" + inner + "--X--\n"
    )
    parsed = parse(raw)
    assert "See below." in parsed.text
    assert "The VPN is down for the ward." in parsed.text


def test_attachments_become_evidence_with_their_hash_in_the_timeline(
    db: BoundDatabase, clock: FakeClock, session: Session
) -> None:
    mailbox = make_mailbox(db, clock)
    png = base64.b64encode(PNG).decode()
    raw = _crlf(
        f"From: dana@ward3.example\nTo: {DESK}\nSubject: photo\nMessage-ID: <a1@ward3>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="X"\n\n'
        "--X\nContent-Type: text/plain\n\nThe cable, unplugged.\n"
        '--X\nContent-Type: image/png; name="cable.png"\nContent-Transfer-Encoding: base64\n'
        'Content-Disposition: attachment; filename="cable.png"\n\n' + png + "\n"
        '--X\nContent-Type: application/x-msdownload; name="setup.exe"\n'
        "Content-Transfer-Encoding: base64\n\n"
        + base64.b64encode(b"MZ" + bytes(100)).decode()
        + "\n--X--\n"
    )
    row = inbound(session, receive(db, clock, raw, mailbox_id=mailbox.id))
    [file] = session.scalars(select(Attachment).where(Attachment.ticket_id == row.ticket_id))
    assert file.filename == "cable.png"
    entry = session.scalar(
        select(TimelineEntry).where(
            TimelineEntry.chain == f"ticket:{row.ticket_id}",
            TimelineEntry.kind == EntryKind.EVIDENCE,
        )
    )
    assert entry is not None and entry.data["sha256"] == file.sha256


@pytest.mark.parametrize("content_type", ["0;0*", ";0*", "text/plain;0*", "text/html;0*"])
def test_a_content_type_the_header_parser_cannot_read_leaves_the_message_readable(
    content_type: str,
) -> None:
    # Found by the fuzz test: the standard library raises from inside its own feed parser on
    # these, so the whole message was unreadable. Now the part counts as text.
    parsed = parse(f"From: ann@example.org\r\nContent-Type: {content_type}\r\n\r\nbody".encode())
    assert parsed.sender == "ann@example.org"
    assert parsed.text == "body"
    assert parsed.files == ()


@pytest.mark.parametrize("disposition", ["0;0*", ";0*"])
def test_a_content_disposition_the_header_parser_cannot_read_is_no_attachment(
    disposition: str,
) -> None:
    # Found by the fuzz test: the standard library's header parser raises IndexError on these.
    parsed = parse(f"Content-Disposition: {disposition}\r\n\r\nbody".encode())
    assert parsed.files == ()
