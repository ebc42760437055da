"""How fast desk mail is imported from IMAP: fetched, stored raw, parsed, threaded and made into
tickets and replies, by one real `takepoint engine` on SQLite.

    .venv/bin/python -m benchmarks.mail_import [--messages 2000]

A throw-away Dovecot (Debian's `dovecot-imapd`, the same server the mail tests start) holds
--messages mails in the desk's inbox before the engine starts: a mix of shapes the desk meets
(plain text, an HTML newsletter-style body, a reply that quotes the earlier mail, one with a
small attachment). No acknowledgement is sent, so only the import is measured. The rate is taken
from the first stored message to the last imported one; the engine's CPU (user + system, all
threads) over the same span, divided by the messages, is the CPU per message.

It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.harness import cpu_seconds, process, scratch
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.mail.mailboxes import MailboxFields, create_mailbox
from takepoint.mail.models import InboundState, MailMessage, Security
from tests.mail.dovecot import PASSWORD, Dovecot

DESK = "helpdesk@stmarys.example"
TAKEPOINT = str(Path(sys.executable).with_name("takepoint"))
TIME_LIMIT = 600.0


def message(n: int) -> bytes:
    """The n-th mail: one of four shapes, each from its own sender."""
    mail = EmailMessage()
    mail["From"] = f"User {n} <user{n}@ward{n % 40}.example>"
    mail["To"] = DESK
    mail["Date"] = format_datetime(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    mail["Message-ID"] = f"<bench{n}@ward.example>"
    shape = n % 4
    if shape == 0:
        mail["Subject"] = f"Printer {n} on ward {n % 40} is jammed"
        mail.set_content("Hello IT,\n\nthe printer by the nurses' station is jammed again.\n")
    elif shape == 1:
        mail["Subject"] = f"=?utf-8?q?Gr=C3=BC=C3=9Fe_{n}?= - the badge reader"
        mail.set_content("The badge reader at the east door refuses every card.\n")
        mail.add_alternative(
            "<html><body><p>The <b>badge reader</b> at the east door refuses every card.</p>"
            "<table><tr><td>Door</td><td>East</td></tr></table></body></html>",
            subtype="html",
        )
    elif shape == 2:
        mail["Subject"] = f"RE: AW: Laptop {n} will not start"
        quoted = "\n".join(f"> line {i} of the earlier mail" for i in range(30))
        mail.set_content(f"It still will not start.\n\nOn Monday IT wrote:\n{quoted}\n")
    else:
        mail["Subject"] = f"Screenshot of error {n}"
        mail.set_content("The error is in the attached screenshot.\n")
        mail.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(4000), "image", "png", filename="e.png")
    return mail.as_bytes()


def counts(db: Database) -> tuple[int, int]:
    with db.session(read_only=True) as s:
        stored = s.scalar(select(func.count(MailMessage.id))) or 0
        done = (
            s.scalar(
                select(func.count(MailMessage.id)).where(
                    MailMessage.state.in_((InboundState.IMPORTED, InboundState.FAILED))
                )
            )
            or 0
        )
    return stored, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    data = scratch("mail-bench")
    dovecot = Dovecot()
    dovecot.start()
    try:
        client = dovecot.client(DESK)
        try:
            for n in range(args.messages):
                client.append("INBOX", message(n))
        finally:
            client.logout()
        db = Database(f"sqlite:///{data / 'takepoint.db'}")
        migrate.upgrade(db)
        with db.session() as s:
            create_mailbox(
                s,
                fields=MailboxFields(
                    name="helpdesk",
                    address=DESK,
                    acknowledge=False,
                    imap_host=dovecot.host,
                    imap_port=dovecot.port,
                    security=Security.NONE,
                    username=DESK,
                    secret=PASSWORD,
                ),
                now=datetime.now(UTC),
            )
        env = {**os.environ, "TAKEPOINT_DATA_DIR": str(data), "TAKEPOINT_LOG_LEVEL": "WARNING"}
        with process([TAKEPOINT, "engine"], env=env, log=data / "engine.log") as pid:
            deadline = time.monotonic() + TIME_LIMIT
            while counts(db)[0] == 0:
                assert time.monotonic() < deadline, "the engine stored nothing"
                time.sleep(0.005)
            started, cpu_before = time.monotonic(), cpu_seconds(pid)
            while counts(db)[1] < args.messages:
                assert time.monotonic() < deadline, f"only {counts(db)} after {TIME_LIMIT} s"
                time.sleep(0.05)
            took, cpu = time.monotonic() - started, cpu_seconds(pid) - cpu_before
        failed = _failed(db)
    finally:
        dovecot.stop()
    print(f"mail import from IMAP, {args.messages} messages, one engine on SQLite:")
    print(f"  {args.messages / took:.0f} messages/s ({took:.1f} s), {failed} kept raw as failed")
    print(f"  engine CPU {cpu * 1000 / args.messages:.1f} ms per message")
    print(f"  load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")


def _failed(db: Database) -> int:
    with db.session(read_only=True) as s:
        return (
            s.scalar(
                select(func.count(MailMessage.id)).where(MailMessage.state == InboundState.FAILED)
            )
            or 0
        )


if __name__ == "__main__":
    main()
