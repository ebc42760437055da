"""A mail server that is down gets retries with backoff; a channel that cannot work falls back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
    NotificationState,
    Urgency,
)
from takepoint.notify.service import notify_user, send_test
from tests.factories import make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import add_apprise, add_email, add_rule, outcomes, reload
from tests.notify.receivers import HttpReceiver, SmtpReceiver

RETRY, SENT, FAILED = AttemptOutcome.RETRY, AttemptOutcome.SENT, AttemptOutcome.FAILED


def _page(session: Session, clock: FakeClock, user: User) -> Notification:
    (row,) = notify_user(
        session,
        user=user,
        subject="Lab results interface down",
        body="HL7 feed stopped at 07:38",
        urgency=Urgency.HIGH,
        key=f"page:42:{user.id}",
        now=clock.now(),
    )
    return row


def _seconds_in(session: Session, row: Notification, clock: FakeClock) -> list[int]:
    start = row.created_at
    times = session.scalars(
        select(DeliveryAttempt.at)
        .where(DeliveryAttempt.notification_id == row.id)
        .order_by(DeliveryAttempt.id)
    )
    return [int((t - start).total_seconds()) for t in times]


def test_it_retries_with_backoff_while_the_mail_server_is_down_then_delivers(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    dana = make_user(session, clock)
    add_email(session, clock, dana)
    smtp_server.stop()
    row = _page(session, clock, dana)

    run_deliver.run_for(timedelta(seconds=60), tick=timedelta(seconds=1))
    assert outcomes(session, row) == [RETRY, RETRY, RETRY]
    assert _seconds_in(session, row, clock) == [0, 15, 45]
    assert reload(session, row).state is NotificationState.PENDING
    assert "cannot reach the mail server" in (reload(session, row).last_error or "")

    smtp_server.start()
    run_deliver.run_for(timedelta(seconds=60), tick=timedelta(seconds=1))
    assert outcomes(session, row) == [RETRY, RETRY, RETRY, SENT]
    assert _seconds_in(session, row, clock) == [0, 15, 45, 105]
    assert [m.key for m in smtp_server.mails] == [row.key]
    assert reload(session, row).state is NotificationState.SENT


def test_it_falls_back_to_the_next_method_when_mail_stays_down_for_ten_minutes(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    sam = make_user(session, clock)
    email = add_email(session, clock, sam)
    add_apprise(session, clock, sam, http_receiver.url("/ntfy"), label="ntfy")
    add_rule(session, clock, sam, email, 0)
    smtp_server.stop()
    row = _page(session, clock, sam)

    run_deliver.run_for(timedelta(minutes=10))
    smtp_server.start()
    run_deliver.run_for(timedelta(minutes=5))

    assert outcomes(session, row) == [RETRY] * 5 + [FAILED]
    assert _seconds_in(session, row, clock) == [0, 15, 45, 105, 225, 345]
    assert reload(session, row).state is NotificationState.FAILED
    assert smtp_server.mails == []
    (fallback,) = session.scalars(select(Notification).where(Notification.fallback_of_id == row.id))
    assert fallback.state is NotificationState.SENT
    assert fallback.group_key == row.group_key
    assert [r.title for r in http_receiver.to("/ntfy")] == ["Lab results interface down"]


def test_it_falls_back_at_once_when_the_recipient_is_refused(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    priya = make_user(session, clock)
    email = add_email(session, clock, priya, address="priya@gone.example")
    add_apprise(session, clock, priya, http_receiver.url("/sms"), label="SMS")
    add_rule(session, clock, priya, email, 0)
    smtp_server.refuse("priya@gone.example")
    row = _page(session, clock, priya)

    run_deliver()
    run_deliver()

    assert outcomes(session, row) == [FAILED]
    assert "550" in (reload(session, row).last_error or "")
    assert len(http_receiver.to("/sms")) == 1


def test_it_treats_a_client_error_from_a_push_service_as_permanent(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    lee = make_user(session, clock)
    push = add_apprise(session, clock, lee, http_receiver.url("/push"), label="Push")
    add_email(session, clock, lee)
    add_rule(session, clock, lee, push, 0)
    http_receiver.status = 404
    row = _page(session, clock, lee)

    run_deliver()
    run_deliver()

    assert outcomes(session, row) == [FAILED]
    assert [m.recipients for m in smtp_server.mails] == [(lee.email,)]


def test_it_retries_a_server_error_from_a_push_service(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, http_receiver: HttpReceiver
) -> None:
    lee = make_user(session, clock)
    add_apprise(session, clock, lee, http_receiver.url("/push"), label="Push")
    http_receiver.status = 503
    row = _page(session, clock, lee)

    run_deliver()
    http_receiver.status = 200
    run_deliver.run_for(timedelta(seconds=15))

    assert outcomes(session, row) == [RETRY, SENT]
    assert len(http_receiver.requests) == 2


def test_it_falls_back_to_the_account_email_when_no_method_is_left(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    morgan = make_user(session, clock, email="morgan@stmarys.example")
    add_apprise(session, clock, morgan, http_receiver.url("/teams"), label="Teams")
    http_receiver.status = 401
    _page(session, clock, morgan)

    run_deliver()
    run_deliver()
    run_deliver()

    assert [m.recipients for m in smtp_server.mails] == [("morgan@stmarys.example",)]
    states = sorted(n.state.value for n in session.scalars(select(Notification)))
    assert states == ["failed", "sent"]


def test_it_never_falls_back_from_a_test_message(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    dana = make_user(session, clock)
    push = add_apprise(session, clock, dana, http_receiver.url("/push"))
    add_email(session, clock, dana)
    http_receiver.status = 400
    test = send_test(session, user=dana, contact_method=push, now=clock.now())

    run_deliver.run_for(timedelta(minutes=1))

    assert reload(session, test).state is NotificationState.FAILED
    assert smtp_server.mails == []
