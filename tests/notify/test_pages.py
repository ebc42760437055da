"""The contact-method and rule editor at /me/notifications, and the outbox at /notifications."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from takepoint.notify.contacts import list_contact_methods, list_rules
from takepoint.notify.models import NotificationState, Urgency
from takepoint.notify.service import notify_user
from tests.factories import login, make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import add_apprise, add_email, reload
from tests.notify.receivers import SmtpReceiver


def test_it_adds_a_contact_method_from_the_page_and_masks_its_secret(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock)
    csrf = login(client, dana)
    assert 'href="/me/notifications"' in client.get("/me").text

    added = client.post(
        "/me/notifications/methods",
        data={
            "csrf_token": csrf,
            "kind": "apprise",
            "label": "Phone push",
            "target": "ntfys://dana:s3cret-pass@ntfy.stmarys.example/dana-pager",
        },
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"])
    assert "Added Phone push." in page.text
    assert "ntfy.stmarys.example/dana-pager" in page.text
    assert "s3cret-pass" not in page.text

    bad = client.post(
        "/me/notifications/methods",
        data={"csrf_token": csrf, "kind": "apprise", "label": "Pager", "target": "pager://x"},
    )
    assert bad.status_code == 422
    assert "unknown Apprise scheme" in bad.text


def test_it_moves_and_removes_methods_and_edits_rules(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    sam = make_user(session, clock)
    csrf = login(client, sam)
    email = add_email(session, clock, sam)
    push = add_apprise(session, clock, sam, "json://127.0.0.1:9/push", label="Push")

    client.post(
        f"/me/notifications/methods/{push.id}/move", data={"csrf_token": csrf, "direction": "up"}
    )
    assert [m.label for m in list_contact_methods(session, user=sam)] == ["Push", "Email"]

    page = client.get("/me/notifications").text
    assert "Default: Push, Email at once." in page
    client.post(
        "/me/notifications/rules",
        data={
            "csrf_token": csrf,
            "urgency": "high",
            "contact_method_id": str(email.id),
            "delay_minutes": "2",
        },
    )
    (rule,) = list_rules(session, user=sam)
    assert (rule.urgency, rule.contact_method_id, rule.delay_minutes) == (Urgency.HIGH, email.id, 2)
    assert "After 2 min: <strong>Email</strong>" in client.get("/me/notifications").text

    client.post(f"/me/notifications/methods/{email.id}/delete", data={"csrf_token": csrf})
    session.expire_all()
    assert [m.label for m in list_contact_methods(session, user=sam)] == ["Push"]
    assert list_rules(session, user=sam) == []


def test_it_sends_a_test_and_the_status_turns_to_delivered(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
) -> None:
    lee = make_user(session, clock)
    csrf = login(client, lee)
    method = add_email(session, clock, lee)

    queued = client.post(
        f"/me/notifications/methods/{method.id}/test",
        data={"csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert queued.status_code == 200
    assert "Queued" in queued.text
    poll = re.search(r'hx-get="(/me/notifications/tests/\d+)"', queued.text)
    assert poll is not None

    run_deliver()
    done = client.get(poll.group(1))
    assert "Delivered" in done.text
    assert "hx-get" not in done.text
    assert len(smtp_server.to(lee.email)) == 1
    assert "Delivered" in client.get("/me/notifications").text


def test_it_lets_an_admin_manage_someone_elses_methods(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    morgan = make_user(session, clock, role=Role.VIEWER, name="Morgan Hale")
    csrf = login(client, admin)
    page = client.get(f"/me/notifications?user_id={morgan.id}")
    assert "How Takepoint reaches Morgan Hale" in page.text
    added = client.post(
        "/me/notifications/methods",
        data={
            "csrf_token": csrf,
            "kind": "email",
            "label": "Director mail",
            "target": "director@stmarys.example",
            "user_id": str(morgan.id),
        },
    )
    assert added.headers["location"].endswith(f"user_id={morgan.id}")
    assert [m.label for m in list_contact_methods(session, user=morgan)] == ["Director mail"]


def test_it_refuses_a_viewer_someone_elses_page(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    morgan = make_user(session, clock, role=Role.VIEWER)
    dana = make_user(session, clock)
    login(client, morgan)
    assert client.get(f"/me/notifications?user_id={dana.id}").status_code == 403
    assert client.get("/me/notifications").status_code == 200


def test_it_lists_recent_deliveries_with_state_and_attempts(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
) -> None:
    dana = make_user(session, clock, name="Dana Whitfield")
    priya = make_user(session, clock, name="Priya Raman")
    add_email(session, clock, dana)
    (row,) = notify_user(
        session,
        user=dana,
        subject="Theatre system down",
        body="Opened 07:40",
        urgency=Urgency.HIGH,
        key="page:1:dana",
        now=clock.now(),
    )
    run_deliver()
    assert reload(session, row).state is NotificationState.SENT
    login(client, priya)

    page = client.get("/notifications")
    assert "Theatre system down" in page.text
    assert ">sent<" in page.text
    assert "Dana Whitfield" in page.text
    assert "Theatre system down" not in client.get(f"/notifications?user_id={priya.id}").text

    detail = client.get(f"/notifications/{row.id}")
    assert detail.status_code == 200
    assert "Opened 07:40" in detail.text
    assert "<td>sent</td>" in detail.text
