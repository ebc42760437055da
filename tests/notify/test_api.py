"""The /api/v1 endpoints for contact methods, rules, test sends and the outbox."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope, User
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from tests.factories import make_token, make_user
from tests.notify.conftest import DeliverJob
from tests.notify.helpers import add_email
from tests.notify.receivers import HttpReceiver, SmtpReceiver

SECRET_URL = "ntfys://dana:s3cret-pass@ntfy.stmarys.example/dana-pager"


def _auth(session: Session, clock: FakeClock, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


def test_it_adds_and_lists_contact_methods_without_showing_secrets(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@stmarys.example")
    headers = _auth(session, clock, dana)
    email = client.post(
        "/api/v1/contact-methods",
        json={"kind": "email", "target": "Dana@StMarys.example", "label": "Work email"},
        headers=headers,
    )
    push = client.post(
        "/api/v1/contact-methods",
        json={"kind": "apprise", "target": SECRET_URL, "label": "ntfy"},
        headers=headers,
    )
    assert (email.status_code, push.status_code) == (201, 201)

    listed = client.get("/api/v1/contact-methods", headers=headers)
    assert [(m["label"], m["position"]) for m in listed.json()] == [("Work email", 0), ("ntfy", 1)]
    assert listed.json()[0]["display"] == "dana@stmarys.example"
    assert "s3cret-pass" not in listed.text + push.text
    assert "target" not in listed.json()[1]


def test_it_names_the_field_when_apprise_does_not_know_the_scheme(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock)
    response = client.post(
        "/api/v1/contact-methods",
        json={"kind": "apprise", "target": "pager://dana", "label": "Old pager"},
        headers=_auth(session, clock, dana),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "target"
    assert "unknown Apprise scheme 'pager://'" in response.json()["detail"]
    assert client.get("/api/v1/contact-methods", headers=_auth(session, clock, dana)).json() == []


def test_it_reorders_and_removes_contact_methods(
    client: TestClient, session: Session, clock: FakeClock, http_receiver: HttpReceiver
) -> None:
    sam = make_user(session, clock)
    headers = _auth(session, clock, sam)
    ids = [
        client.post(
            "/api/v1/contact-methods",
            json={"kind": "apprise", "target": http_receiver.url(f"/{n}"), "label": n},
            headers=headers,
        ).json()["id"]
        for n in ("a", "b", "c")
    ]
    moved = client.patch(f"/api/v1/contact-methods/{ids[2]}", json={"position": 0}, headers=headers)
    assert moved.status_code == 200
    removed = client.delete(f"/api/v1/contact-methods/{ids[1]}", headers=headers)
    assert removed.status_code == 204
    listed = client.get("/api/v1/contact-methods", headers=headers).json()
    assert [m["label"] for m in listed] == ["c", "a"]


def test_it_lets_viewers_manage_their_own_methods_and_admins_anyones(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    morgan = make_user(session, clock, role=Role.VIEWER)
    admin = make_user(session, clock, role=Role.ADMIN)
    viewer_headers = _auth(session, clock, morgan)
    own = client.post(
        "/api/v1/contact-methods",
        json={"kind": "email", "target": "morgan@stmarys.example", "label": "Mail"},
        headers=viewer_headers,
    )
    assert own.status_code == 201

    others = client.post(
        "/api/v1/contact-methods",
        json={"kind": "email", "target": "x@stmarys.example", "label": "X", "user_id": admin.id},
        headers=viewer_headers,
    )
    assert others.status_code == 403
    admins_method = client.post(
        "/api/v1/contact-methods",
        json={
            "kind": "email",
            "target": "m2@stmarys.example",
            "label": "Home",
            "user_id": morgan.id,
        },
        headers=_auth(session, clock, admin),
    )
    assert admins_method.status_code == 201
    assert admins_method.json()["user_id"] == morgan.id
    hidden = client.delete(
        f"/api/v1/contact-methods/{admins_method.json()['id']}",
        headers=_auth(session, clock, make_user(session, clock)),
    )
    assert hidden.status_code == 404


def test_it_replaces_rules_and_falls_back_to_the_defaults_when_emptied(
    client: TestClient, session: Session, clock: FakeClock, http_receiver: HttpReceiver
) -> None:
    priya = make_user(session, clock)
    headers = _auth(session, clock, priya)
    email = add_email(session, clock, priya)
    sms = client.post(
        "/api/v1/contact-methods",
        json={"kind": "apprise", "target": http_receiver.url("/sms"), "label": "SMS"},
        headers=headers,
    ).json()
    assert client.get("/api/v1/notification-rules", headers=headers).json()["uses_defaults"]

    rules = [
        {"urgency": "high", "contact_method_id": email.id, "delay_minutes": 0},
        {"urgency": "high", "contact_method_id": sms["id"], "delay_minutes": 2},
        {"urgency": "low", "contact_method_id": email.id, "delay_minutes": 0},
    ]
    saved = client.put("/api/v1/notification-rules", json={"rules": rules}, headers=headers)
    assert saved.status_code == 200
    assert not saved.json()["uses_defaults"]
    assert sorted(
        (r["urgency"], r["contact_method_id"], r["delay_minutes"]) for r in saved.json()["rules"]
    ) == sorted((r["urgency"], r["contact_method_id"], r["delay_minutes"]) for r in rules)

    wrong = client.put(
        "/api/v1/notification-rules",
        json={"rules": [{"urgency": "high", "contact_method_id": 999999, "delay_minutes": 0}]},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "rules.0.contact_method_id"
    negative = client.put(
        "/api/v1/notification-rules",
        json={"rules": [{"urgency": "high", "contact_method_id": email.id, "delay_minutes": -1}]},
        headers=headers,
    )
    assert negative.status_code == 422
    assert negative.json()["field"] == "rules.0.delay_minutes"
    assert len(client.get("/api/v1/notification-rules", headers=headers).json()["rules"]) == 3

    emptied = client.put("/api/v1/notification-rules", json={"rules": []}, headers=headers)
    assert emptied.json()["uses_defaults"]


def test_it_sends_a_test_and_reports_how_it_went(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    run_deliver: DeliverJob,
    smtp_server: SmtpReceiver,
) -> None:
    lee = make_user(session, clock)
    headers = _auth(session, clock, lee)
    method = add_email(session, clock, lee)

    queued = client.post(f"/api/v1/contact-methods/{method.id}/test", headers=headers)
    assert queued.status_code == 202
    assert queued.json()["state"] == "pending"
    again = client.post(f"/api/v1/contact-methods/{method.id}/test", headers=headers)
    assert again.status_code == 409

    run_deliver()
    result = client.get(f"/api/v1/notifications/{queued.json()['id']}", headers=headers).json()
    assert result["state"] == "sent"
    assert [a["outcome"] for a in result["delivery_attempts"]] == ["sent"]
    assert [m.subject for m in smtp_server.to(lee.email)] == ["Takepoint test notification"]


def test_it_shows_the_outbox_to_responders_and_viewers_only_their_own(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    viewer = make_user(session, clock, role=Role.VIEWER)
    responder = make_user(session, clock)
    for user in (viewer, responder):
        notify_user(
            session,
            user=user,
            subject=f"For {user.display_name}",
            body="…",
            urgency=Urgency.LOW,
            key=f"k:{user.id}",
            now=clock.now(),
        )

    everyone = client.get("/api/v1/notifications", headers=_auth(session, clock, responder))
    assert {n["user_id"] for n in everyone.json()} == {viewer.id, responder.id}
    filtered = client.get(
        f"/api/v1/notifications?user_id={viewer.id}", headers=_auth(session, clock, responder)
    )
    assert {n["user_id"] for n in filtered.json()} == {viewer.id}

    viewer_headers = _auth(session, clock, viewer)
    own = client.get("/api/v1/notifications", headers=viewer_headers)
    assert {n["user_id"] for n in own.json()} == {viewer.id}
    theirs = client.get(f"/api/v1/notifications?user_id={responder.id}", headers=viewer_headers)
    assert theirs.status_code == 403
