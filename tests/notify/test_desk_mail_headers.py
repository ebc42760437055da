"""Desk mail through the outbox: its own From, threading headers, RFC 3834's Auto-Submitted
and attachments; every other message says it was sent automatically."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.settings import Settings
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_address
from takepoint.notify.transports import OutgoingMessage, build_email
from tests.notify.conftest import DeliverJob
from tests.notify.receivers import SmtpReceiver


def test_pages_say_they_were_sent_automatically(settings: Settings) -> None:
    page = OutgoingMessage("k1", "a@b.example", "Disk full", "body", None, Urgency.HIGH)
    assert build_email(page, settings)["Auto-Submitted"] == "auto-generated"


def test_desk_mail_goes_from_the_mailbox_threaded_with_its_file(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    mail_settings: Settings,
) -> None:
    evidence = mail_settings.data_dir / "evidence" / "ab"
    evidence.mkdir(parents=True)
    (evidence / "abc").write_bytes(b"%PDF-1.4 report")
    notify_address(
        session,
        address="dana@ward3.example",
        subject="Re: [#7] Printer",
        body="Fixed.",
        key="mail-out:1",
        now=clock.now(),
        sender="helpdesk@stmarys.example",
        headers={"In-Reply-To": "<a@w>", "References": "<a@w> <b@w>", "Auto-Submitted": "no"},
        attachments=[
            {
                "path": str(Path("evidence/ab/abc")),
                "filename": "report.pdf",
                "content_type": "application/pdf",
            }
        ],
    )
    run_deliver()
    [received] = smtp_server.wait_for(1)
    message = received.message
    assert message["From"] == "helpdesk@stmarys.example"
    assert message["In-Reply-To"] == "<a@w>"
    assert message["References"] == "<a@w> <b@w>"
    assert message["Auto-Submitted"] == "no"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content() == b"%PDF-1.4 report"
    assert received.text.strip() == "Fixed."
