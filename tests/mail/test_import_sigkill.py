"""500 messages in the IMAP inbox while real engines are killed with SIGKILL mid-import; after
a restart every message is on exactly one ticket."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from takepoint.desk.models import Ticket
from takepoint.lib.clock import FakeClock
from takepoint.mail.models import InboundState, MailMessage
from tests.conftest import BoundDatabase
from tests.mail.dovecot import Dovecot
from tests.mail.helpers import DESK, mail, make_mailbox
from tests.processes import TakepointProcess

pytestmark = pytest.mark.slow

MESSAGES = 500


def _counts(db: BoundDatabase) -> tuple[int, int]:
    with db.session(read_only=True) as s:
        stored = s.scalar(select(func.count(MailMessage.id))) or 0
        imported = (
            s.scalar(
                select(func.count(MailMessage.id)).where(MailMessage.state == InboundState.IMPORTED)
            )
            or 0
        )
    return stored, imported


def test_every_message_is_imported_once_through_sigkills(
    db: BoundDatabase, clock: FakeClock, tmp_path: Path, dovecot: Dovecot
) -> None:
    make_mailbox(db, clock, dovecot=dovecot, acknowledge=False)
    dovecot.deliver(
        DESK,
        *(
            mail(sender=f"user{n}@ward3.example", message_id=f"<m{n}@ward3.example>")
            for n in range(MESSAGES)
        ),
    )
    env = {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
        "TAKEPOINT_SECRET_KEY": "test-secret-key-test-secret-key",
        "TAKEPOINT_ENGINE_TICK_SECONDS": "0.1",
    }
    # Killed twice: once while the first batches are fetched, once in the middle of the import
    # (each restart waits for the dead engine's lease on the mailbox to run out).
    for n, threshold in enumerate((80, 400)):
        engine = TakepointProcess(["engine"], env=env, log=tmp_path / f"engine{n}.log")
        deadline = time.monotonic() + 120
        try:
            while sum(_counts(db)) < threshold:
                assert time.monotonic() < deadline, engine.output()
                time.sleep(0.01)
        finally:
            engine.kill()
    survivor = TakepointProcess(["engine"], env=env, log=tmp_path / "survivor.log")
    try:
        deadline = time.monotonic() + 180
        while _counts(db) != (MESSAGES, MESSAGES):
            assert time.monotonic() < deadline, (_counts(db), survivor.output()[-3000:])
            time.sleep(0.2)
    finally:
        assert survivor.stop() == 0, survivor.output()[-3000:]
    with db.session(read_only=True) as s:
        assert s.scalar(select(func.count(Ticket.id))) == MESSAGES
        per_message = set(
            s.scalars(select(func.count(MailMessage.id)).group_by(MailMessage.message_id))
        )
    assert per_message == {1}
