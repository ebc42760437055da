"""Two engines claiming the same due notifications at the same moment never send one twice."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.notify.models import DeliveryAttempt, Notification, NotificationState, Urgency
from takepoint.notify.service import notify_user
from tests.factories import make_user
from tests.notify.conftest import DeliverJob
from tests.notify.receivers import SmtpReceiver

MESSAGES = 150


def test_it_sends_each_notification_exactly_once_with_two_engines(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    user = make_user(session, clock)
    keys = []
    for n in range(MESSAGES):
        (row,) = notify_user(
            session,
            user=user,
            subject=f"Alert {n}",
            body="…",
            urgency=Urgency.HIGH,
            key=f"bulk:{n}",
            now=clock.now(),
        )
        keys.append(row.key)
    start = threading.Barrier(2)

    def engine(name: str) -> None:
        start.wait(timeout=10)
        while run_deliver(name):
            pass

    with ThreadPoolExecutor(max_workers=2) as pool:
        engines = [pool.submit(engine, f"engine-{i}") for i in range(2)]
        for finished in engines:
            finished.result(timeout=60)  # re-raises whatever went wrong in that engine

    assert smtp_server.by_key() == dict.fromkeys(keys, 1)
    states = set(session.scalars(select(Notification.state)))
    assert states == {NotificationState.SENT}
    # One attempt per message, whichever engine made it.
    workers = Counter(session.scalars(select(DeliveryAttempt.worker)))
    assert sum(workers.values()) == MESSAGES
