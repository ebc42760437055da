"""Messages to an email address that is not a user (a service desk requester) go through the
same outbox: durable, retried, idempotent on their key, shown on the outbox pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from takepoint.lib.errors import Conflict, InvalidInput
from takepoint.notify.models import AttemptOutcome, Notification, NotificationState, Urgency
from takepoint.notify.service import notify_address, notify_user
from tests.factories import login, make_token, make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import outcomes, reload
from tests.notify.receivers import SmtpReceiver

RETRY, SENT, FAILED = AttemptOutcome.RETRY, AttemptOutcome.SENT, AttemptOutcome.FAILED
REQUESTER = "pat.jones@patients.example"


def _reply(session: Session, clock: FakeClock, key: str = "desk:reply:17") -> Notification:
    return notify_address(
        session,
        address=REQUESTER,
        subject="[#17] Your printer request",
        body="We have ordered a new toner cartridge for ward 4.",
        key=key,
        now=clock.now(),
    )


def test_it_emails_an_address_that_is_not_a_user(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    row = _reply(session, clock)
    assert (row.user_id, row.address, row.state) == (None, REQUESTER, NotificationState.PENDING)

    assert run_deliver() == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail.recipients == (REQUESTER,)
    assert mail.subject == "[#17] Your printer request"
    assert "new toner cartridge for ward 4" in mail.text
    assert mail.key == "desk:reply:17"
    sent = reload(session, row)
    assert sent.state is NotificationState.SENT
    assert outcomes(session, sent) == [SENT]


def test_it_sends_the_same_key_once(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    first = _reply(session, clock)
    again = _reply(session, clock)
    assert again.id == first.id
    run_deliver()
    clock.advance(timedelta(minutes=1))
    after_sending = _reply(session, clock)
    run_deliver.run_for(timedelta(minutes=2))

    assert after_sending.id == first.id
    count = session.scalar(select(func.count()).select_from(Notification))
    assert count == 1
    assert smtp_server.by_key() == {"desk:reply:17": 1}


def test_it_refuses_a_key_already_used_for_a_person(session: Session, clock: FakeClock) -> None:
    dana = make_user(session, clock)
    key = "desk:confirm:9"
    notify_user(
        session, user=dana, subject="Hi", body="b", urgency=Urgency.LOW, key=key, now=clock.now()
    )
    with pytest.raises(Conflict) as refused:
        _reply(session, clock, key=key)
    assert refused.value.field == "key"


@pytest.mark.parametrize("address", ["", "not an address", "pat@", "pat@@patients.example"])
def test_it_refuses_what_is_not_an_email_address(
    session: Session, clock: FakeClock, address: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        notify_address(
            session, address=address, subject="s", body="b", key="desk:x", now=clock.now()
        )
    assert refused.value.field == "address"
    assert refused.value.status_code == 422
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_it_retries_while_the_mail_server_is_down_then_delivers(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    smtp_server.stop()
    row = _reply(session, clock)

    run_deliver.run_for(timedelta(seconds=60), tick=timedelta(seconds=1))
    assert outcomes(session, row) == [RETRY, RETRY, RETRY]
    assert reload(session, row).state is NotificationState.PENDING
    assert "cannot reach the mail server" in (reload(session, row).last_error or "")

    smtp_server.start()
    run_deliver.run_for(timedelta(seconds=60), tick=timedelta(seconds=1))
    assert outcomes(session, row) == [RETRY, RETRY, RETRY, SENT]
    assert smtp_server.by_key() == {row.key: 1}
    assert reload(session, row).state is NotificationState.SENT


def test_it_fails_a_refused_address_without_falling_back(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    smtp_server.refuse(REQUESTER)
    row = _reply(session, clock)

    run_deliver.run_for(timedelta(minutes=1))
    failed = reload(session, row)
    assert failed.state is NotificationState.FAILED
    assert outcomes(session, failed) == [FAILED]
    assert "550" in (failed.last_error or "")
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
    assert smtp_server.mails == []


def test_it_shows_an_address_message_on_the_outbox_pages_and_api(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    row = _reply(session, clock)
    run_deliver()

    login(client, admin)
    outbox = client.get("/notifications")
    assert outbox.status_code == 200
    assert REQUESTER in outbox.text
    assert "[#17] Your printer request" in outbox.text
    detail = client.get(f"/notifications/{row.id}")
    assert detail.status_code == 200
    assert REQUESTER in detail.text

    headers = {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.WRITE)}"}
    listed = client.get("/api/v1/notifications", headers=headers)
    assert listed.status_code == 200
    (item,) = listed.json()
    assert (item["user_id"], item["address"], item["state"]) == (None, REQUESTER, "sent")
    shown = client.get(f"/api/v1/notifications/{row.id}", headers=headers)
    assert shown.status_code == 200
    assert shown.json()["address"] == REQUESTER
    assert [a["outcome"] for a in shown.json()["delivery_attempts"]] == ["sent"]


def test_it_hides_address_messages_from_viewers(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    viewer = make_user(session, clock, role=Role.VIEWER)
    row = _reply(session, clock)
    login(client, viewer)
    assert REQUESTER not in client.get("/notifications").text
    assert client.get(f"/notifications/{row.id}").status_code == 404
