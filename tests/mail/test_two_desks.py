"""Two Takepoint desks whose mail reaches each other, through real servers: each with its own
database and engine, one Dovecot holding both mailboxes, one SMTP receiver that hands every mail
on to the mailbox it is addressed to.

With honest headers the first acknowledgement ends it (it says it is automatic). Through a relay
that strips every header that would say so, the ticket token in the subject still threads the
second answer onto the first ticket. And when the relay rewrites subjects too, each desk sees a
stranger's new request every time, and the loop stops at the rate limit of acknowledgements per
sender.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from takepoint.engine.loop import EngineThread
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.lib.registry import Registry
from takepoint.lib.settings import Settings
from takepoint.mail.importer import ACK_LIMIT
from takepoint.mail.models import MailOutgoing, OutgoingKind, OutgoingState
from tests.conftest import BoundDatabase
from tests.factories import make_engine, registry_jobs
from tests.mail.dovecot import Dovecot
from tests.mail.helpers import mail, make_mailbox
from tests.notify.receivers import SmtpReceiver

JOBS = ("mail_import", "mail_outgoing", "deliver", "mail_fetch")
DESK_A = "helpdesk@stmarys.example"
DESK_B = "support@vendor.example"
# What a careless relay drops: every header by which a message says it is automatic or ours.
STRIPPED = ("Auto-Submitted", "Precedence", "X-Takepoint-Key", "In-Reply-To", "References")
QUIET_SECONDS = 4.0
_TOKEN = re.compile(r"\[#\d+\]\s*")


class Relay:
    """Hands each mail the SMTP receiver got to the Dovecot mailbox it is addressed to."""

    def __init__(self, smtp: SmtpReceiver, dovecot: Dovecot, *, mode: str) -> None:
        self.smtp, self.dovecot, self.mode = smtp, dovecot, mode
        self.passed = 0
        self.last_at = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for received in self.smtp.mails[self.passed :]:
                message: EmailMessage = received.message
                if self.mode != "honest":
                    for name in STRIPPED:
                        del message[name]
                if self.mode == "renamed":
                    subject = _TOKEN.sub("", str(message["Subject"]))
                    del message["Subject"]
                    message["Subject"] = subject
                for rcpt in received.recipients:
                    if rcpt in (DESK_A, DESK_B):
                        self.dovecot.deliver(rcpt, message.as_bytes())
                self.passed += 1
                self.last_at = time.monotonic()

    @contextmanager
    def running(self) -> Iterator[Relay]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)


def _desk_b(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    mail_settings: Settings,
    registry: Registry,
    clock: FakeClock,
) -> BoundDatabase:
    """The other Takepoint: a database and settings of its own, the same mail servers."""
    path = tmp_path / "desk-b.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    other = BoundDatabase(f"sqlite:///{path}")
    settings = mail_settings.model_copy(
        update={"database_url": other.url, "data_dir": tmp_path / "b", "smtp_from": DESK_B}
    )
    other.context = Context.build(settings, registry, clock)
    return other


def _acks(db: BoundDatabase) -> tuple[int, int]:
    """Acknowledgements sent, and held back by the rate limit."""
    with db.session(read_only=True) as s:
        counted = select(func.count(MailOutgoing.id)).where(
            MailOutgoing.kind == OutgoingKind.ACKNOWLEDGEMENT
        )
        sent = s.scalar(counted.where(MailOutgoing.state != OutgoingState.SKIPPED)) or 0
        held = s.scalar(counted.where(MailOutgoing.state == OutgoingState.SKIPPED)) or 0
    return sent, held


def _until_quiet(relay: Relay, done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait until `done` holds and no mail has passed for QUIET_SECONDS."""
    started = time.monotonic()
    while not (done() and time.monotonic() - relay.last_at > QUIET_SECONDS):
        assert time.monotonic() - started < timeout, f"still mailing after {relay.passed} mails"
        time.sleep(0.1)


# The loop is in the mail, not the database: both desks on SQLite, the default.
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["honest", "stripped", "renamed"])
def test_two_desks_mailing_each_other_stop(
    db: BoundDatabase,
    clock: FakeClock,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    registry: Registry,
    dovecot: Dovecot,
    smtp_server: SmtpReceiver,
    mail_settings: Settings,
    mail_context: Context,
    mode: str,
) -> None:
    other = _desk_b(tmp_path, request, mail_settings, registry, clock)
    make_mailbox(db, clock, dovecot=dovecot, address=DESK_A, username=DESK_A)
    make_mailbox(other, clock, dovecot=dovecot, address=DESK_B, username=DESK_B)
    engines = [
        EngineThread(
            make_engine(
                database,
                database.context,
                jobs=registry_jobs(database.context, *JOBS),
                worker_id=f"engine-{name}",
                tick_seconds=0.2,
            )
        )
        for name, database in (("a", db), ("b", other))
    ]
    for engine in engines:
        engine.start()
    try:
        with Relay(smtp_server, dovecot, mode=mode).running() as relay:
            # Desk B's notice of a ticket reaches desk A, headers already stripped.
            dovecot.deliver(
                DESK_A,
                mail(sender=f"Vendor support <{DESK_B}>", subject="Your ticket 77 is open"),
            )
            if mode == "renamed":
                _until_quiet(relay, lambda: _acks(db)[1] + _acks(other)[1] >= 1)
            else:
                _until_quiet(relay, lambda: relay.passed >= {"honest": 1, "stripped": 2}[mode])
    finally:
        for engine in engines:
            engine.stop()
        other.dispose()

    sent_a, held_a = _acks(db)
    sent_b, held_b = _acks(other)
    if mode == "honest":
        # A acknowledged once; B saw an automatic answer and sent nothing back.
        assert ((sent_a, sent_b), relay.passed) == ((1, 0), 1)
    elif mode == "stripped":
        # B acknowledged A's acknowledgement as a new request; A found its own ticket's token
        # in that answer's subject and took it as the requester's reply, which is not answered.
        assert ((sent_a, sent_b), relay.passed) == ((1, 1), 2)
    else:
        # Each desk acknowledged the other ACK_LIMIT times; A, the first to reach the limit,
        # held back its next one, and nothing more went out.
        assert ((sent_a, sent_b), relay.passed) == ((ACK_LIMIT, ACK_LIMIT), 2 * ACK_LIMIT)
        assert (held_a, held_b) == (1, 0)
