"""The requester portal: emailed one-time links, the portal's own session, and only public
replies, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, PortalLink, Requester, Ticket, TicketState
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.notify.models import Notification
from tests.factories import csrf_token, login, make_user
from tests.notify.conftest import DeliverJob, mail_settings, run_deliver
from tests.notify.receivers import SmtpReceiver, smtp_server

__all__ = ["mail_settings", "run_deliver", "smtp_server"]

LINK_IN_MAIL = re.compile(r"https?://[^/\s]+(/portal/signin/\S+)")


def _requester(session: Session, clock: FakeClock, name: str, email: str) -> Requester:
    return desk.create_requester(session, name=name, email=email, now=clock.now())


def _token_for(session: Session, context: Context, requester: Requester) -> str:
    """A link made as the service makes it, where delivery is not the point."""
    now = context.clock.now()
    link = PortalLink(
        requester_id=requester.id, created_at=now, expires_at=now + timedelta(minutes=15)
    )
    session.add(link)
    session.flush()
    token: str = URLSafeTimedSerializer(context.secret_key, salt="takepoint-portal").dumps(link.id)
    return token


def _use(client: TestClient, path: str) -> int:
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token}).status_code


def _sign_in(client: TestClient, session: Session, context: Context, requester: Requester) -> str:
    """Signs in through the link page; returns a CSRF token for further posts."""
    assert _use(client, f"/portal/signin/{_token_for(session, context, requester)}") == 303
    return csrf_token(client, "/portal/tickets/new")


def test_it_signs_in_once_with_the_emailed_link(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    smtp_server: SmtpReceiver,
    run_deliver: DeliverJob,
) -> None:
    _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    asked = client.post(
        "/portal",
        data={"email": " Ada@StMarys.example ", "csrf_token": csrf_token(client, "/portal")},
    )
    assert asked.status_code == 303
    assert client.get(asked.headers["location"]).text.count("if we know that address") == 1

    assert run_deliver() == 1
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ("ada@stmarys.example",)
    found = LINK_IN_MAIL.search(mail.text)
    assert found, mail.text
    path = found.group(1)

    # A mail scanner opens the link: that spends nothing.
    for _ in range(2):
        opened = client.get(path)
        assert opened.status_code == 200
        assert "Ada Ward" in opened.text and ">Sign in</button>" in opened.text
    assert client.get("/portal/tickets").status_code == 303

    signed = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert signed.status_code == 303
    assert signed.headers["location"] == "/portal/tickets"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("tp_portal=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=604800" in cookie
    assert "Your tickets" in client.get("/portal/tickets").text

    again = client.post(path, data={"csrf_token": csrf_token(client, "/portal/tickets")})
    assert again.status_code == 410
    assert "used already; ask for a new one" in again.text
    assert client.get(path).status_code == 410


def test_it_refuses_an_expired_or_tampered_link(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    token = _token_for(session, context, ada)
    clock.advance(timedelta(minutes=15, seconds=1))
    expired = client.get(f"/portal/signin/{token}")
    assert expired.status_code == 410
    assert "expired" in expired.text and "ask for a new one" in expired.text
    refused = client.post(
        f"/portal/signin/{token}", data={"csrf_token": csrf_token(client, "/portal")}
    )
    assert refused.status_code == 410

    fresh = _token_for(session, context, ada)
    tampered = client.get(f"/portal/signin/{fresh[:-2]}xx")
    assert tampered.status_code == 400
    assert "not valid" in tampered.text
    signed_elsewhere = URLSafeTimedSerializer("another key entirely", salt="takepoint-portal")
    assert client.get(f"/portal/signin/{signed_elsewhere.dumps(1)}").status_code == 400
    assert session.scalar(select(func.count()).where(PortalLink.used_at.is_not(None))) == 0


def test_it_answers_an_unknown_email_the_same_and_sends_nothing(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    smtp_server: SmtpReceiver,
    run_deliver: DeliverJob,
) -> None:
    _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    answers = []
    for email in ("nobody@stmarys.example", "ada@stmarys.example"):
        answer = client.post(
            "/portal", data={"email": email, "csrf_token": csrf_token(client, "/portal")}
        )
        answers.append((answer.status_code, answer.headers["location"]))
    assert answers[0] == answers[1]

    run_deliver()
    assert [m.recipients for m in smtp_server.wait_for(1)] == [("ada@stmarys.example",)]
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
    assert session.scalar(select(func.count()).select_from(PortalLink)) == 1


def test_it_refuses_a_post_without_the_csrf_token(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    assert client.post("/portal", data={"email": "ada@stmarys.example"}).status_code == 403
    ada = session.scalars(select(Requester)).one()
    path = f"/portal/signin/{_token_for(session, context, ada)}"
    client.get(path)
    assert client.post(path).status_code == 403
    _sign_in(client, session, context, ada)
    refused = client.post("/portal/tickets/new", data={"title": "Forged"})
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_it_keeps_staff_sessions_and_portal_sessions_apart(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    staff = make_user(session, clock, role=Role.ADMIN, email="ada@stmarys.example")
    _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    login(client, staff)
    signed_out = client.get("/portal/tickets")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/portal"
    client.cookies.set("tp_portal", "forged-value")
    assert client.get("/portal/tickets/new").status_code == 303


def test_it_opens_a_ticket_and_shows_only_the_requesters_own(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    ben = _requester(session, clock, "Ben Ott", "ben@stmarys.example")
    bens = desk.open_ticket(
        session,
        requester_id=ben.id,
        title="Ben's laptop is slow",
        channel=Channel.PHONE,
        now=clock.now(),
    )
    csrf = _sign_in(client, session, context, ada)
    made = client.post(
        "/portal/tickets/new",
        data={"title": "Ward printer jams", "description": "Bay 3", "csrf_token": csrf},
    )
    assert made.status_code == 303
    ticket = session.scalars(select(Ticket).where(Ticket.requester_id == ada.id)).one()
    assert ticket.channel is Channel.WEB
    assert made.headers["location"].startswith(f"/portal/tickets/{ticket.id}?")

    listing = client.get("/portal/tickets").text
    assert "Ward printer jams" in listing and "Received" in listing
    assert "Ben&#39;s laptop" not in listing and "Ben's laptop" not in listing
    assert client.get(f"/portal/tickets/{bens.id}").status_code == 404
    sneaked = client.post(
        f"/portal/tickets/{bens.id}/messages", data={"body": "mine now", "csrf_token": csrf}
    )
    assert sneaked.status_code == 404
    assert desk.messages(session, ticket=bens, public_only=False) == []


def test_it_never_shows_an_internal_note(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    agent = make_user(session, clock, name="Sam Okafor")
    ticket = desk.open_ticket(
        session, requester_id=ada.id, title="VPN drops", channel=Channel.WEB, now=clock.now()
    )
    desk.reply(
        session, ticket_id=ticket.id, body="Try the new client.", user=agent, now=clock.now()
    )
    desk.add_note(
        session,
        ticket_id=ticket.id,
        body="NOTE: she is on the old laptop",
        user=agent,
        now=clock.now(),
    )
    csrf = _sign_in(client, session, context, ada)
    client.post(
        f"/portal/tickets/{ticket.id}/messages", data={"body": "Still drops", "csrf_token": csrf}
    )
    pages = [
        client.get(path, follow_redirects=True)
        for path in (
            "/portal",
            "/portal/tickets",
            f"/portal/tickets/{ticket.id}",
            "/portal/tickets/new",
        )
    ]
    assert all(page.status_code == 200 for page in pages)
    assert "Try the new client." in pages[2].text and "Still drops" in pages[2].text
    assert "Sam Okafor (IT)" in pages[2].text
    for page in pages:
        assert "old laptop" not in page.text
        assert "Internal note" not in page.text


def test_it_reopens_a_waiting_ticket_when_the_requester_replies(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    agent = make_user(session, clock)
    ticket = desk.open_ticket(
        session,
        requester_id=ada.id,
        title="New starter account",
        channel=Channel.WEB,
        now=clock.now(),
    )
    desk.set_state(
        session,
        ticket_id=ticket.id,
        state=TicketState.WAITING_ON_REQUESTER,
        user=agent,
        now=clock.now(),
    )
    csrf = _sign_in(client, session, context, ada)
    assert "Waiting for your answer" in client.get(f"/portal/tickets/{ticket.id}").text
    clock.advance(timedelta(hours=1))
    answered = client.post(
        f"/portal/tickets/{ticket.id}/messages",
        data={"body": "Her name is Jo Park.", "csrf_token": csrf},
    )
    assert answered.status_code == 303
    session.expire_all()
    assert desk.get_ticket(session, ticket.id).state is TicketState.OPEN
    assert "In progress" in client.get(f"/portal/tickets/{ticket.id}").text


def test_it_signs_out(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    csrf = _sign_in(client, session, context, ada)
    out = client.post("/portal/signout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert client.get("/portal/tickets").headers["location"] == "/portal"


def test_it_ends_the_portal_session_after_seven_days(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    _sign_in(client, session, context, ada)
    clock.advance(timedelta(days=6, hours=23))
    assert client.get("/portal/tickets").status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.get("/portal/tickets").status_code == 303
