"""Rule steps go out when they are due, and stop when the group is cancelled (acknowledged)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from takepoint.engine import deliver
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import NotificationState, Urgency
from takepoint.notify.service import cancel_pending, notify_user
from takepoint.notify.transports import message_id
from tests.factories import make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import add_apprise, add_email, add_rule, reload
from tests.notify.receivers import HttpReceiver, SmtpReceiver


def test_it_sends_immediate_steps_at_once_and_delayed_steps_when_due(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    dana = make_user(session, clock, name="Dana Whitfield")
    email = add_email(session, clock, dana)
    push = add_apprise(session, clock, dana, http_receiver.url("/push"), label="ntfy")
    sms = add_apprise(session, clock, dana, http_receiver.url("/sms"), label="SMS")
    add_rule(session, clock, dana, email, 0)
    add_rule(session, clock, dana, push, 0)
    add_rule(session, clock, dana, sms, 2)

    rows = notify_user(
        session,
        user=dana,
        subject="Theatre system down",
        body="The theatre scheduling app is not answering.",
        urgency=Urgency.HIGH,
        key="page:1:dana",
        now=clock.now(),
    )
    assert len(rows) == 3

    assert run_deliver() == 2
    assert deliver.next_due(session) == clock.now() + timedelta(minutes=2)
    assert [m.subject for m in smtp_server.to(dana.email)] == ["Theatre system down"]
    assert [r.title for r in http_receiver.to("/push")] == ["Theatre system down"]
    assert http_receiver.to("/sms") == []

    clock.advance(timedelta(minutes=1, seconds=59))
    assert run_deliver() == 0
    clock.advance(timedelta(seconds=1))
    assert run_deliver() == 1
    assert [r.message.splitlines()[0] for r in http_receiver.to("/sms")] == [
        "The theatre scheduling app is not answering."
    ]
    assert {reload(session, r).state for r in rows} == {NotificationState.SENT}


def test_it_stops_later_steps_once_acknowledged(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    sam = make_user(session, clock)
    email = add_email(session, clock, sam)
    sms = add_apprise(session, clock, sam, http_receiver.url("/sms"), label="SMS")
    add_rule(session, clock, sam, email, 0)
    add_rule(session, clock, sam, sms, 2)
    first, later = notify_user(
        session,
        user=sam,
        subject="Disk full on txn-db",
        body="97% used",
        urgency=Urgency.HIGH,
        key="page:7:sam",
        now=clock.now(),
    )
    run_deliver()
    clock.advance(timedelta(minutes=1))

    assert cancel_pending(session, group_key="page:7:sam", now=clock.now()) == 1

    run_deliver.run_for(timedelta(minutes=5))
    assert http_receiver.requests == []
    assert len(smtp_server.mails) == 1
    assert reload(session, first).state is NotificationState.SENT
    assert reload(session, later).state is NotificationState.CANCELLED


def test_it_creates_nothing_new_for_a_key_it_has_seen(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    priya = make_user(session, clock)
    add_email(session, clock, priya)
    arguments = {
        "user": priya,
        "subject": "Backup job missed",
        "body": "No successful backup for 26 h",
        "urgency": Urgency.HIGH,
        "key": "page:3:priya",
    }
    first = notify_user(session, now=clock.now(), **arguments)  # type: ignore[arg-type]
    run_deliver()
    clock.advance(timedelta(minutes=1))
    again = notify_user(session, now=clock.now(), **arguments)  # type: ignore[arg-type]
    run_deliver.run_for(timedelta(minutes=1))

    assert [r.id for r in again] == [r.id for r in first]
    assert smtp_server.by_key() == {first[0].key: 1}
    assert smtp_server.mails[0].message_id == message_id(first[0].key)


def test_it_uses_every_method_for_high_and_the_first_for_low_without_rules(
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    lee = make_user(session, clock)
    add_email(session, clock, lee)
    add_apprise(session, clock, lee, http_receiver.url("/push"))
    for urgency in (Urgency.HIGH, Urgency.LOW):
        notify_user(
            session,
            user=lee,
            subject=f"{urgency.value} news",
            body="…",
            urgency=urgency,
            key=f"k:{urgency.value}",
            now=clock.now(),
        )
    run_deliver()

    assert sorted(m.subject for m in smtp_server.mails) == ["high news", "low news"]
    assert [r.title for r in http_receiver.requests] == ["high news"]


def test_it_reaches_someone_without_contact_methods_at_their_account_email(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    morgan = make_user(session, clock, email="morgan@stmarys.example")
    notify_user(
        session,
        user=morgan,
        subject="Resolved: theatre system",
        body="Summary…",
        urgency=Urgency.LOW,
        key="loop:1:morgan",
        now=clock.now(),
    )
    run_deliver()
    assert [m.recipients for m in smtp_server.mails] == [("morgan@stmarys.example",)]
