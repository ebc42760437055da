"""The requester portal: emailed one-time links, the portal's own session, only public replies,
and files sent with a ticket or a message, on both databases."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import timedelta

from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.app import create_app
from takepoint.desk import attachments
from takepoint.desk import service as desk
from takepoint.desk.models import (
    Attachment,
    Channel,
    Message,
    PortalLink,
    Requester,
    Ticket,
    TicketState,
)
from takepoint.incidents.evidence import evidence_root
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.notify.models import Notification
from takepoint.timeline.chain import verify_all
from takepoint.timeline.models import TimelineEntry
from tests.factories import csrf_token, login, make_user
from tests.notify.conftest import DeliverJob, mail_settings, run_deliver
from tests.notify.receivers import SmtpReceiver, smtp_server

__all__ = ["mail_settings", "run_deliver", "smtp_server"]

LINK_IN_MAIL = re.compile(r"https?://[^/\s]+(/portal/signin/\S+)")
ZIP = b"PK\x03\x04" + b"\x00" * 60


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG: green and white diagonal stripes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((30, 140, 70) if (x + y) // 8 % 2 else (250, 250, 250)) for x in range(width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


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


def sign_in_requester(
    client: TestClient, session: Session, context: Context, requester: Requester
) -> str:
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
    # A whole character of the signature changed (the last one may carry only padding bits).
    swapped = "A" if fresh[-6] != "A" else "B"
    tampered = client.get(f"/portal/signin/{fresh[:-6]}{swapped}{fresh[-5:]}")
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
    sign_in_requester(client, session, context, ada)
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
    csrf = sign_in_requester(client, session, context, ada)
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
    csrf = sign_in_requester(client, session, context, ada)
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
    csrf = sign_in_requester(client, session, context, ada)
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
    csrf = sign_in_requester(client, session, context, ada)
    out = client.post("/portal/signout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert client.get("/portal/tickets").headers["location"] == "/portal"


def test_it_ends_the_portal_session_after_seven_days(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    sign_in_requester(client, session, context, ada)
    clock.advance(timedelta(days=6, hours=23))
    assert client.get("/portal/tickets").status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.get("/portal/tickets").status_code == 303


# --- files ------------------------------------------------------------------------------------


def _counts(session: Session, settings: Settings) -> tuple[int, ...]:
    """What a refused upload must not leave behind: rows of every kind, and stored files."""
    root = evidence_root(settings)
    stored = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return (
        *(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Ticket, Message, TimelineEntry, Attachment)
        ),
        len(stored),
    )


def test_it_opens_a_ticket_with_a_photo_the_requester_then_sees(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    csrf = sign_in_requester(client, session, context, ada)
    page = client.get("/portal/tickets/new").text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page

    made = client.post(
        "/portal/tickets/new",
        data={"title": "Drive light is off", "description": "Desk 4", "csrf_token": csrf},
        files={"file": ("drive.png", png(), "image/png")},
    )
    assert made.status_code == 303, made.text
    ticket = session.scalars(select(Ticket)).one()
    [file] = attachments.for_ticket(session, ticket, requester_view=True)
    assert (file.filename, file.from_requester, file.shown_to_requester) == (
        "drive.png",
        True,
        True,
    )
    shown = client.get(f"/portal/tickets/{ticket.id}").text
    url = f"/portal/tickets/{ticket.id}/files/{file.id}"
    assert f'<img class="thumb" src="{url}"' in shown
    image = client.get(url)
    assert image.status_code == 200 and image.content == png()
    assert image.headers["content-type"] == "image/png"
    assert verify_all(session)[1] == []


def test_it_leaves_nothing_when_the_new_tickets_file_is_refused(
    client: TestClient, session: Session, clock: FakeClock, context: Context, settings: Settings
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    csrf = sign_in_requester(client, session, context, ada)
    before = _counts(session, settings)
    for name, body, status, says in (
        ("minutes.docx", ZIP, 415, "a ZIP archive"),
        ("photo.jpg", b"", 422, "Nothing was sent: the file is empty"),
    ):
        refused = client.post(
            "/portal/tickets/new",
            data={"title": "Printer offline", "description": "Since 9", "csrf_token": csrf},
            files={"file": (name, body, "application/octet-stream")},
        )
        assert refused.status_code == status, refused.text
        # The form again, as it was typed, with the error under the file field.
        assert 'id="file-error" role="alert"' in refused.text
        assert says in refused.text.split('id="file-error"')[1][:300]
        assert 'value="Printer offline"' in refused.text and ">Since 9</textarea>" in refused.text
        assert _counts(session, settings) == before


def test_it_refuses_a_file_over_the_limit_next_to_the_field(
    session: Session, clock: FakeClock, context: Context, settings: Settings, db: Database
) -> None:
    small = settings.model_copy(update={"evidence_max_bytes": 2048})
    app = create_app(small, registry=context.registry, clock=clock, db=db)
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    with TestClient(app, follow_redirects=False) as client:
        csrf = sign_in_requester(client, session, context, ada)
        ticket = desk.open_ticket(
            session,
            requester_id=ada.id,
            title="Screen flickers",
            channel=Channel.WEB,
            now=clock.now(),
        )
        before = _counts(session, small)
        too_big = client.post(
            f"/portal/tickets/{ticket.id}/messages",
            data={"body": "Here is a photo", "csrf_token": csrf},
            files={"file": ("screen.png", png() + bytes(range(256)) * 12, "image/png")},
        )
        assert too_big.status_code == 413
        assert "larger than the 2.0 KB limit" in too_big.text.split('id="file-error"')[1][:300]
        assert ">Here is a photo</textarea>" in too_big.text
        assert _counts(session, small) == before

        # Far over the limit, the upload is refused by its length before it is read.
        far = client.post(
            f"/portal/tickets/{ticket.id}/messages",
            data={"body": "Here is a photo", "csrf_token": csrf},
            files={"file": ("screen.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200_000, "image/png")},
        )
        assert far.status_code == 413
        assert "larger than the 2.0 KB limit" in far.text
        assert _counts(session, small) == before


def test_it_sends_a_file_with_a_reply(
    client: TestClient, session: Session, clock: FakeClock, context: Context, settings: Settings
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    ticket = desk.open_ticket(
        session, requester_id=ada.id, title="Disk full", channel=Channel.WEB, now=clock.now()
    )
    csrf = sign_in_requester(client, session, context, ada)
    sent = client.post(
        f"/portal/tickets/{ticket.id}/messages",
        data={"body": "The error it shows", "csrf_token": csrf},
        files={"file": ("error.log", b"No space left on device\n", "text/plain")},
    )
    assert sent.status_code == 303, sent.text
    message = desk.messages(session, ticket=ticket, public_only=True)[-1]
    [file] = attachments.for_ticket(session, ticket, requester_view=True)
    assert file.message_id == message.id
    page = client.get(f"/portal/tickets/{ticket.id}").text
    conversation = page.split('id="talk-h"')[1]
    assert "The error it shows" in conversation and "error.log" in conversation
    download = client.get(f"/portal/tickets/{ticket.id}/files/{file.id}")
    assert download.headers["content-disposition"] == 'attachment; filename="error.log"'
    assert download.headers["content-type"].startswith("text/plain")

    # Nothing typed: the form again, and the file is not kept.
    before = _counts(session, settings)
    empty = client.post(
        f"/portal/tickets/{ticket.id}/messages",
        data={"body": "  ", "csrf_token": csrf},
        files={"file": ("more.log", b"more\n", "text/plain")},
    )
    assert empty.status_code == 422
    assert 'id="body-error"' in empty.text
    assert _counts(session, settings) == before


def test_it_serves_a_requester_only_what_is_shown_on_their_own_tickets(
    client: TestClient, session: Session, clock: FakeClock, context: Context, settings: Settings
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    ben = _requester(session, clock, "Ben Ott", "ben@stmarys.example")
    agent = make_user(session, clock, name="Sam Okafor")
    root = evidence_root(settings)
    adas = desk.open_ticket(
        session, requester_id=ada.id, title="Kettle socket", channel=Channel.WEB, now=clock.now()
    )
    bens = desk.open_ticket(
        session, requester_id=ben.id, title="Ben's scanner", channel=Channel.WEB, now=clock.now()
    )

    def add(
        ticket: Ticket,
        name: str,
        *,
        user: User | None = None,
        requester: Requester | None = None,
        shared: bool = False,
        message_id: int | None = None,
    ) -> int:
        return attachments.add(
            session,
            ticket=ticket,
            stream=io.BytesIO(png()),
            filename=name,
            now=clock.now(),
            root=root,
            max_bytes=settings.evidence_max_bytes,
            user=user,
            requester=requester,
            shared=shared,
            message_id=message_id,
        ).id

    note = desk.add_note(
        session, ticket_id=adas.id, body="Cable was pulled", user=agent, now=clock.now()
    )
    shown = add(adas, "shown.png", user=agent, shared=True)
    hidden = add(adas, "hidden.png", user=agent)
    on_note = add(adas, "on-note.png", user=agent, message_id=note.id)
    bens_own = add(bens, "bens.png", requester=ben)
    # Even with its flag set by hand, a file on an internal note stays internal.
    session.execute(update(Attachment).where(Attachment.id == on_note).values(shared=True))

    sign_in_requester(client, session, context, ada)
    assert client.get(f"/portal/tickets/{adas.id}/files/{shown}").status_code == 200
    missing = client.get(f"/portal/tickets/{adas.id}/files/9999")
    assert missing.status_code == 404
    for ticket_id, file_id in (
        (adas.id, hidden),
        (adas.id, on_note),
        (adas.id, bens_own),
        (bens.id, bens_own),
    ):
        refused = client.get(f"/portal/tickets/{ticket_id}/files/{file_id}")
        assert refused.status_code == 404
        assert "hidden.png" not in refused.text and "on-note.png" not in refused.text
    page = client.get(f"/portal/tickets/{adas.id}").text
    assert "shown.png" in page
    for secret in ("hidden.png", "on-note.png", "Cable was pulled", f"/files/{hidden}"):
        assert secret not in page
    for path in (
        f"/portal/tickets/99999999999999999999/files/{shown}",
        f"/portal/tickets/{adas.id}/files/99999999999999999999",
        "/portal/tickets/99999999999999999999",
    ):
        assert client.get(path).status_code in (404, 422)


def test_it_keeps_a_requester_out_of_the_api(
    client: TestClient, session: Session, clock: FakeClock, context: Context
) -> None:
    ada = _requester(session, clock, "Ada Ward", "ada@stmarys.example")
    ticket = desk.open_ticket(
        session, requester_id=ada.id, title="VPN drops", channel=Channel.WEB, now=clock.now()
    )
    csrf = sign_in_requester(client, session, context, ada)
    for path in (f"/api/v1/tickets/{ticket.id}/files", f"/api/v1/tickets/{ticket.id}/messages"):
        assert client.get(path).status_code == 401
    upload = client.post(
        f"/api/v1/tickets/{ticket.id}/files",
        headers={"X-CSRF-Token": csrf},
        files={"file": ("a.png", png(), "image/png")},
    )
    assert upload.status_code == 401
