"""Signed acknowledge and resolve links: they carry who, what and which incident, and expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.notify.links import (
    LINK_PATH,
    AccountStamp,
    LinkAction,
    LinkExpired,
    LinkInvalid,
    action_links,
    make_token,
    read_token,
    redact_links,
)
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from tests.factories import make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import add_email
from tests.notify.receivers import SmtpReceiver

KEY = "test-secret-key-test-secret-key"
STAMP = AccountStamp(role="role-digest", password="password-digest")


def test_it_reads_back_what_it_signed(clock: FakeClock) -> None:
    token = make_token(
        secret_key=KEY,
        incident_id=42,
        user_id=7,
        action=LinkAction.RESOLVE,
        stamp=STAMP,
        now=clock.now(),
    )
    claim = read_token(secret_key=KEY, token=token, now=clock.now() + timedelta(hours=23))
    assert (claim.incident_id, claim.user_id, claim.action) == (42, 7, LinkAction.RESOLVE)
    assert claim.issued_at == clock.now()


def test_it_refuses_an_expired_link_with_410(clock: FakeClock) -> None:
    token = make_token(
        secret_key=KEY,
        incident_id=1,
        user_id=1,
        action=LinkAction.ACKNOWLEDGE,
        stamp=STAMP,
        now=clock.now(),
    )
    later = clock.now() + timedelta(hours=24, seconds=1)
    with pytest.raises(LinkExpired) as caught:
        read_token(secret_key=KEY, token=token, now=later)
    assert caught.value.status_code == 410
    assert "expired" in caught.value.message
    read_token(secret_key=KEY, token=token, now=later, max_age=timedelta(hours=48))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t[: len(t) // 2],
        lambda t: "x" + t,
    ],
)
def test_it_refuses_a_tampered_link_with_400(clock: FakeClock, tamper: object) -> None:
    token = make_token(
        secret_key=KEY,
        incident_id=1,
        user_id=1,
        action=LinkAction.ACKNOWLEDGE,
        stamp=STAMP,
        now=clock.now(),
    )
    assert callable(tamper)
    with pytest.raises(LinkInvalid) as caught:
        read_token(secret_key=KEY, token=tamper(token), now=clock.now())
    assert caught.value.status_code == 400


def test_it_refuses_a_link_signed_with_another_key(clock: FakeClock) -> None:
    token = make_token(
        secret_key="another-key",
        incident_id=1,
        user_id=1,
        action=LinkAction.RESOLVE,
        stamp=STAMP,
        now=clock.now(),
    )
    with pytest.raises(LinkInvalid):
        read_token(secret_key=KEY, token=token, now=clock.now())


def test_it_puts_both_links_in_the_message_and_keeps_them_out_of_listings(
    session: Session, clock: FakeClock, run_deliver: DeliverJob, smtp_server: SmtpReceiver
) -> None:
    dana = make_user(session, clock)
    add_email(session, clock, dana)
    links = action_links(
        secret_key=KEY,
        base_url="https://takepoint.stmarys.example",
        incident_id=12,
        user=dana,
        now=clock.now(),
    )
    (row,) = notify_user(
        session,
        user=dana,
        subject="#12 Theatre system down",
        body="Opened 07:40",
        urgency=Urgency.HIGH,
        key="page:12:dana",
        now=clock.now(),
        incident_id=12,
        links=links,
    )
    run_deliver()

    text = smtp_server.mails[0].text
    assert f"Acknowledge: {links.acknowledge}" in text
    assert f"Resolve: {links.resolve}" in text
    token = links.acknowledge.split(LINK_PATH)[1]
    claim = read_token(secret_key=KEY, token=token, now=clock.now())
    assert (claim.incident_id, claim.user_id, claim.action) == (12, dana.id, LinkAction.ACKNOWLEDGE)
    assert token not in redact_links(row.body)
    assert "https://takepoint.stmarys.example/act/…" in redact_links(row.body)
