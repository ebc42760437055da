"""A crash between sending and recording repeats the message with the same key, never loses it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from takepoint.engine import deliver
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.notify import outbox
from takepoint.notify.models import AttemptOutcome, NotificationState, Urgency
from takepoint.notify.service import notify_user
from takepoint.notify.transports import message_id
from tests.factories import make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import LEASE, add_email, outcomes, reload
from tests.notify.receivers import SmtpReceiver


def _send_and_die(db: Database, clock: FakeClock, settings: Settings) -> None:
    """What an engine does up to the moment it is SIGKILLed: claim, commit, send; no record."""
    doomed = db.new_session()
    doomed.info["engine_worker"] = "engine-killed"
    ids = deliver.claim(doomed, worker="engine-killed", now=clock.now())
    deliveries = outbox.prepare(doomed, ids=ids, worker="engine-killed")
    doomed.commit()
    for delivery in deliveries:
        error, _ = deliver.send(delivery, settings)
        assert error is None
    doomed.close()  # the process is gone: nothing after the send was written


def test_it_resends_with_the_same_message_id_once_the_dead_engines_lease_runs_out(
    db: Database,
    session: Session,
    clock: FakeClock,
    mail_settings: Settings,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
) -> None:
    dana = make_user(session, clock)
    add_email(session, clock, dana)
    (row,) = notify_user(
        session,
        user=dana,
        subject="Theatre system down",
        body="…",
        urgency=Urgency.HIGH,
        key="page:9:dana",
        now=clock.now(),
    )

    _send_and_die(db, clock, mail_settings)
    assert reload(session, row).state is NotificationState.SENDING
    # The engine wakes when the dead engine's lease ends, not at some later tick.
    assert deliver.next_due(session) == clock.now() + LEASE

    clock.advance(LEASE - timedelta(seconds=1))
    assert run_deliver("engine-restarted") == 0  # the lease still holds
    clock.advance(timedelta(seconds=2))
    assert run_deliver("engine-restarted") == 1

    # The receiver got it twice, but as one message: counted by Message-ID, it arrived once.
    assert smtp_server.by_message_id() == {message_id(row.key): 2}
    assert set(smtp_server.by_key()) == {row.key}
    row = reload(session, row)
    assert row.state is NotificationState.SENT
    assert row.attempts == 2
    assert outcomes(session, row) == [AttemptOutcome.SENT]
