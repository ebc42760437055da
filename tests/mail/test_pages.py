"""The mailbox settings page: adding a mailbox, the secret never shown back, and "test
connection" naming the step that failed; the original of a message for agents."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.conftest import BoundDatabase
from tests.factories import login, make_user
from tests.mail.dovecot import Dovecot
from tests.mail.helpers import inbound, mail, make_mailbox, receive


def test_an_admin_adds_a_mailbox_and_tests_it(
    client: TestClient, session: Session, clock: FakeClock, dovecot: Dovecot
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    csrf = login(client, admin)
    created = client.post(
        "/mail/mailboxes",
        data={
            "csrf_token": csrf, "name": "helpdesk", "address": "helpdesk@stmarys.example",
            "enabled": "1", "imap_host": dovecot.host, "imap_port": str(dovecot.port),
            "security": "none", "auth": "password", "username": "helpdesk@stmarys.example",
            "secret": "wrong-password", "folder": "INBOX", "after_import": "flag",
            "after_import_target": "$Takepoint", "poll_seconds": "60",
        },
    )  # fmt: skip
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    assert "wrong-password" not in page.text and "one is set" in page.text
    mailbox_id = created.headers["location"].split("/")[-1].split("?")[0]
    tested = client.post(f"/mail/mailboxes/{mailbox_id}/test", data={"csrf_token": csrf})
    assert "The connection failed at: login" in tested.text
    assert "DNS: 127.0.0.1 resolves" in tested.text


def test_a_bad_address_is_shown_next_to_its_field(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.ADMIN))
    page = client.post(
        "/mail/mailboxes",
        data={"csrf_token": csrf, "name": "x", "address": "not-an-address", "security": "imaps",
              "auth": "password", "after_import": "flag"},
    )  # fmt: skip
    assert page.status_code == 422
    assert 'id="address-error"' in page.text


def test_agents_see_the_original_of_a_message(
    client: TestClient, db: BoundDatabase, session: Session, clock: FakeClock
) -> None:
    mailbox = make_mailbox(db, clock)
    row = inbound(
        session, receive(db, clock, mail(html="<p>The <b>printer</b></p>"), mailbox_id=mailbox.id)
    )
    login(client, make_user(session, clock))
    page = client.get(f"/mail/tickets/{row.ticket_id}/original")
    assert page.status_code == 200
    assert "<b>printer</b>" in page.text and "dana@ward3.example" in page.text
    raw = client.get(f"/mail/inbound/{row.id}/raw")
    assert raw.content == row.raw


def test_the_ticket_page_says_how_each_message_arrived_and_links_the_original(
    client: TestClient, db: BoundDatabase, session: Session, clock: FakeClock
) -> None:
    mailbox = make_mailbox(db, clock, acknowledge=False)
    first = inbound(
        session,
        receive(db, clock, mail(message_id="<first@ward3.example>"), mailbox_id=mailbox.id),
    )
    reply = mail(
        body="It is jammed again.\n",
        message_id="<second@ward3.example>",
        in_reply_to="<first@ward3.example>",
    )
    second = inbound(session, receive(db, clock, reply, mailbox_id=mailbox.id))
    assert second.ticket_id == first.ticket_id and second.desk_message_id is not None

    login(client, make_user(session, clock))
    page = client.get(f"/desk/tickets/{first.ticket_id}")
    assert f'href="/mail/tickets/{first.ticket_id}/original"' in page.text
    assert "by email" in page.text
    link = f"/mail/messages/{second.desk_message_id}/original"
    assert f'href="{link}"' in page.text
    original = client.get(link)
    assert original.status_code == 200 and "It is jammed again." in original.text

    client.cookies.clear()
    login(client, make_user(session, clock, role=Role.VIEWER))
    assert "/original" not in client.get(f"/desk/tickets/{first.ticket_id}").text
