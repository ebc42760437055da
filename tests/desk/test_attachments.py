"""Files on tickets and the root cause: who sees what, the chain, downloads and the API, on both
databases."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope, User
from takepoint.desk import attachments
from takepoint.desk import service as desk
from takepoint.desk.models import Attachment, Channel, Requester, Ticket, TicketState
from takepoint.incidents.evidence import evidence_root, path_for
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.lib.errors import Conflict, InvalidInput, PermissionDenied
from takepoint.lib.settings import Settings
from takepoint.timeline.chain import entries, verify_all, verify_chain
from takepoint.timeline.models import EntryKind, TimelineEntry
from tests.desk.test_portal import png, sign_in_requester
from tests.factories import login, make_token, make_user

LOG = b"2026-03-02 08:58 usb 1-2: device disconnected (power lost)\n"


def _ticket(session: Session, clock: FakeClock, title: str = "Backup drive gone") -> Ticket:
    ada = desk.create_requester(
        session, name="Ada Ward", email="ada@stmarys.example", now=clock.now()
    )
    return desk.open_ticket(
        session, requester_id=ada.id, title=title, channel=Channel.WEB, now=clock.now()
    )


def _add(
    session: Session,
    settings: Settings,
    clock: FakeClock,
    ticket: Ticket,
    *,
    body: bytes | None = None,
    name: str = "cable.png",
    user: User | None = None,
    requester: Requester | None = None,
    shared: bool = False,
    message_id: int | None = None,
) -> Attachment:
    return attachments.add(
        session,
        ticket=ticket,
        stream=io.BytesIO(png() if body is None else body),
        filename=name,
        now=clock.now(),
        root=evidence_root(settings),
        max_bytes=settings.evidence_max_bytes,
        user=user,
        requester=requester,
        shared=shared,
        message_id=message_id,
    )


def _shown(session: Session, ticket: Ticket) -> list[str]:
    return [f.filename for f in attachments.for_ticket(session, ticket, requester_view=True)]


def _bearer(session: Session, clock: FakeClock, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


def _count(session: Session, table: Any) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_it_records_a_file_in_the_tickets_chain(
    session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    added = _add(session, settings, clock, ticket, requester=ticket.requester, shared=False)

    sha = hashlib.sha256(png()).hexdigest()
    assert path_for(evidence_root(settings), sha).read_bytes() == png()
    entry = entries(session, ticket.chain)[-1]
    assert entry.kind is EntryKind.EVIDENCE and entry.seq == added.entry_seq
    assert entry.data["sha256"] == sha
    assert (entry.data["size"], entry.data["media_type"], entry.data["filename"]) == (
        len(png()),
        "image/png",
        "cable.png",
    )
    assert entry.text.startswith("Ada Ward attached cable.png (PNG image")
    # A requester's own file is always theirs to see.
    assert added.shared is True and _shown(session, ticket) == ["cable.png"]
    assert verify_chain(session, ticket.chain) is None


def test_it_shows_an_agents_file_only_once_they_choose_to(
    session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    added = _add(session, settings, clock, ticket, user=sam)
    assert _shown(session, ticket) == []

    attachments.set_shared(
        session, ticket=ticket, file_id=added.id, shared=True, user=sam, now=clock.now()
    )
    assert _shown(session, ticket) == ["cable.png"]
    attachments.set_shared(
        session, ticket=ticket, file_id=added.id, shared=False, user=sam, now=clock.now()
    )
    assert _shown(session, ticket) == []

    said = [e.text for e in entries(session, ticket.chain) if e.kind is EntryKind.UPDATED]
    assert said == [
        "Sam Okafor showed cable.png to the requester",
        "Sam Okafor stopped showing cable.png to the requester",
    ]
    # Saying the same again changes nothing and records nothing.
    attachments.set_shared(
        session, ticket=ticket, file_id=added.id, shared=False, user=sam, now=clock.now()
    )
    assert len(entries(session, ticket.chain)) == 4
    assert verify_all(session)[1] == []


def test_it_shows_a_file_on_a_public_reply(
    session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    reply = desk.reply(
        session, ticket_id=ticket.id, body="Here is what we found.", user=sam, now=clock.now()
    )
    added = _add(session, settings, clock, ticket, user=sam, message_id=reply.id)
    assert added.shared is True
    assert _shown(session, ticket) == ["cable.png"]
    assert "to a public reply" in entries(session, ticket.chain)[-1].text


def test_it_never_shows_a_file_on_an_internal_note(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings, context: Context
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    note = desk.add_note(
        session, ticket_id=ticket.id, body="She pulled it for the kettle", user=sam, now=clock.now()
    )
    with pytest.raises(InvalidInput) as refused:
        _add(session, settings, clock, ticket, user=sam, message_id=note.id, shared=True)
    assert refused.value.field == "shared"
    added = _add(session, settings, clock, ticket, name="kettle.png", user=sam, message_id=note.id)
    with pytest.raises(Conflict):
        attachments.set_shared(
            session, ticket=ticket, file_id=added.id, shared=True, user=sam, now=clock.now()
        )
    # Even with its flag set behind Takepoint's back, the note's file stays internal.
    session.execute(update(Attachment).where(Attachment.id == added.id).values(shared=True))
    assert _shown(session, ticket) == []

    sign_in_requester(client, session, context, ticket.requester)
    page = client.get(f"/portal/tickets/{ticket.id}")
    assert page.status_code == 200
    assert "kettle.png" not in page.text and "kettle" not in page.text
    download = client.get(f"/portal/tickets/{ticket.id}/files/{added.id}")
    assert download.status_code == 404
    assert "kettle" not in download.text

    staff = TestClient(client.app, follow_redirects=False)
    login(staff, sam)
    assert staff.get(f"/desk/tickets/{ticket.id}/files/{added.id}").content == png()
    listed = staff.get(f"/api/v1/tickets/{ticket.id}/files").json()
    assert [(f["filename"], f["on_note"], f["shown_to_requester"]) for f in listed] == [
        ("kettle.png", True, False)
    ]


def test_it_refuses_viewers_and_closed_tickets_and_writes_nothing(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    viewer = make_user(session, clock, role=Role.VIEWER)
    sam = make_user(session, clock)
    with pytest.raises(PermissionDenied):
        _add(session, settings, clock, ticket, user=viewer)
    url = f"/api/v1/tickets/{ticket.id}/files"
    files = {"file": ("cable.png", png(), "image/png")}
    before = (_count(session, Attachment), _count(session, TimelineEntry))
    assert client.post(url, files=files, headers=_bearer(session, clock, viewer)).status_code == 403
    assert (_count(session, Attachment), _count(session, TimelineEntry)) == before

    desk.set_state(
        session, ticket_id=ticket.id, state=TicketState.CLOSED, user=sam, now=clock.now()
    )
    before = (_count(session, Attachment), _count(session, TimelineEntry))
    closed = client.post(url, files=files, headers=_bearer(session, clock, sam))
    assert closed.status_code == 409
    assert "closed" in closed.json()["detail"]
    assert (_count(session, Attachment), _count(session, TimelineEntry)) == before
    assert not any(evidence_root(settings).rglob("??/*"))


def test_it_serves_images_inline_and_everything_else_only_as_a_download(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock)
    image = _add(session, settings, clock, ticket, user=sam)
    page = _add(
        session, settings, clock, ticket, user=sam, body=b"<script>alert(1)</script>", name="x.html"
    )
    log = _add(session, settings, clock, ticket, user=sam, body=LOG, name="Kabel prüfen.log")
    login(client, sam)
    base = f"/desk/tickets/{ticket.id}/files"

    shown = client.get(f"{base}/{image.id}")
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"] == 'inline; filename="cable.png"'
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.content == png()

    html = client.get(f"{base}/{page.id}")
    assert html.headers["content-type"] == "text/plain; charset=utf-8"
    assert html.headers["content-disposition"] == 'attachment; filename="x.html"'
    assert html.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in html.headers["content-security-policy"]

    named = client.get(f"/api/v1/tickets/{ticket.id}/files/{log.id}/content")
    assert named.headers["content-disposition"] == (
        "attachment; filename=\"Kabel prufen.log\"; filename*=UTF-8''Kabel%20pr%C3%BCfen.log"
    )
    assert named.content == LOG


def test_it_refuses_to_serve_a_file_changed_on_disk(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock)
    added = _add(session, settings, clock, ticket, user=sam, body=LOG, name="usb.log")
    path_for(evidence_root(settings), added.sha256).write_bytes(b"nothing happened\n")
    login(client, sam)
    changed = client.get(f"/desk/tickets/{ticket.id}/files/{added.id}")
    assert changed.status_code == 409
    assert "changed on disk" in changed.text


def test_it_attaches_lists_and_shares_over_the_api(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    headers = _bearer(session, clock, sam)
    url = f"/api/v1/tickets/{ticket.id}/files"
    added = client.post(
        url,
        data={"caption": "The drive's plug, out of the wall", "shared": "false"},
        files={"file": ("plug.png", png(), "application/octet-stream")},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["media_type"] == "image/png" and body["uploaded_by"] == "Sam Okafor"
    assert body["shown_to_requester"] is False
    assert body["url"] == f"{url}/{body['id']}/content"
    assert client.get(body["url"], headers=headers).content == png()

    shared = client.post(f"{url}/{body['id']}/share", json={"shared": True}, headers=headers)
    assert shared.status_code == 200 and shared.json()["shown_to_requester"] is True
    assert [f["id"] for f in client.get(url, headers=headers).json()] == [body["id"]]

    refused = client.post(
        url, files={"file": ("notes.docx", b"PK\x03\x04" + b"\x00" * 40)}, headers=headers
    )
    assert refused.status_code == 415
    assert "a ZIP archive" in refused.json()["detail"]
    empty = client.post(url, files={"file": ("empty.png", b"")}, headers=headers)
    assert (empty.status_code, empty.json()["field"]) == (422, "file")

    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/tickets/{ticket_id}/files",
        "/api/v1/tickets/{ticket_id}/files/{file_id}",
        "/api/v1/tickets/{ticket_id}/files/{file_id}/content",
        "/api/v1/tickets/{ticket_id}/files/{file_id}/share",
        "/api/v1/tickets/{ticket_id}/root-cause",
    ):
        assert path in paths, path
    assert not any(path.startswith("/desk/tickets/{ticket_id}/files") for path in paths)
    assert verify_chain(session, ticket.chain) is None


def test_it_answers_ids_out_of_range_without_a_server_error(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock)
    headers = _bearer(session, clock, sam)
    huge = "99999999999999999999"
    for path in (
        f"/api/v1/tickets/{huge}/files",
        f"/api/v1/tickets/{ticket.id}/files/{huge}",
        f"/api/v1/tickets/{ticket.id}/files/{huge}/content",
        f"/api/v1/tickets/{ticket.id}/root-cause",
        f"/api/v1/tickets/{ticket.id}/files/2147483647",
        f"/desk/tickets/{ticket.id}/files/{huge}",
    ):
        got = client.get(path, headers=headers)
        assert got.status_code in (200, 404, 422), (path, got.status_code)
    assert client.get(f"/api/v1/tickets/{huge}/files", headers=headers).status_code == 422
    shared = client.post(
        f"/api/v1/tickets/{ticket.id}/files/{huge}/share", json={"shared": True}, headers=headers
    )
    assert shared.status_code == 422
    on_message = client.post(
        f"/api/v1/tickets/{ticket.id}/files",
        data={"message_id": huge},
        files={"file": ("a.png", png())},
        headers=headers,
    )
    assert on_message.status_code == 422


def test_it_records_the_root_cause_and_shows_it_kindly_once_shared(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings, context: Context
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    proof = _add(session, settings, clock, ticket, user=sam, name="socket.png")
    attachments.set_shared(
        session, ticket=ticket, file_id=proof.id, shared=True, user=sam, now=clock.now()
    )
    csrf = login(client, sam)
    cause = "The drive's power cable was unplugged at the wall socket."
    saved = client.post(
        f"/desk/tickets/{ticket.id}/root-cause", data={"root_cause": cause, "csrf_token": csrf}
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("#root-cause")

    requester = TestClient(client.app, follow_redirects=False)
    sign_in_requester(requester, session, context, ticket.requester)
    page = requester.get(f"/portal/tickets/{ticket.id}").text
    assert "What caused it" not in page and "wall socket" not in page

    shared = client.post(
        f"/desk/tickets/{ticket.id}/root-cause",
        data={"root_cause": cause, "shared": "true", "csrf_token": csrf},
    )
    assert shared.status_code == 303
    page = requester.get(f"/portal/tickets/{ticket.id}").text
    card = page.split('id="cause-h"')[1].split("</section>")[0]
    assert "What caused it</h2>" in page
    assert cause.replace("'", "&#39;") in card
    # The proof sits next to the cause, shown once.
    assert f'src="/portal/tickets/{ticket.id}/files/{proof.id}"' in card
    assert page.count(f"/files/{proof.id}") == card.count(f"/files/{proof.id}") == 2

    said = [e.text for e in entries(session, ticket.chain) if e.kind is EntryKind.UPDATED]
    assert said[-2:] == [
        f"Sam Okafor recorded the root cause (not shown to the requester): {cause}",
        f"Sam Okafor recorded the root cause (shown to the requester): {cause}",
    ]
    headers = _bearer(session, clock, sam)
    api = f"/api/v1/tickets/{ticket.id}/root-cause"
    assert client.get(api, headers=headers).json() == {
        "ticket_id": ticket.id,
        "text": cause,
        "shared": True,
    }
    cleared = client.put(api, json={"text": "", "shared": False}, headers=headers)
    assert cleared.json()["text"] == ""
    refused = client.put(api, json={"text": " ", "shared": True}, headers=headers)
    assert (refused.status_code, refused.json()["field"]) == (422, "root_cause")
    assert "What caused it" not in requester.get(f"/portal/tickets/{ticket.id}").text
    assert verify_chain(session, ticket.chain) is None


def test_it_renders_the_ticket_pages_cards_from_their_context(
    app: FastAPI, session: Session, clock: FakeClock, settings: Settings
) -> None:
    ticket = _ticket(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    viewer = make_user(session, clock, role=Role.VIEWER)
    note = desk.add_note(session, ticket_id=ticket.id, body="n", user=sam, now=clock.now())
    _add(session, settings, clock, ticket, user=sam, name="shown.png", shared=True)
    _add(session, settings, clock, ticket, user=sam, name="kept.log", body=LOG)
    _add(session, settings, clock, ticket, user=sam, name="note.png", message_id=note.id)
    _add(session, settings, clock, ticket, requester=ticket.requester, name="hers.png")
    attachments.set_root_cause(
        session, ticket=ticket, text="Unplugged.", shared=True, user=sam, now=clock.now()
    )
    env = app.state.templates.env
    files = attachments.for_ticket(session, ticket, requester_view=False)

    def card(name: str, user: User) -> str:
        context = {"ticket": ticket, "files": files, "csrf_token": "t", "me": user}
        html: str = env.get_template(name).render(
            **context, can_act=user.role.allows(Role.RESPONDER)
        )
        return html

    agent = card("desk/_files.html", sam)
    assert agent.count('class="thumb"') == 3
    assert agent.count(">Shown to requester<") == 2
    assert "never shown to the requester" in agent
    # A toggle for IT's own files off notes: shown.png and kept.log.
    assert agent.count("/share") == 2
    assert 'name="shared" type="checkbox"' in agent and 'enctype="multipart/form-data"' in agent
    read_only = card("desk/_files.html", viewer)
    assert "/share" not in read_only and "<form" not in read_only

    cause = card("desk/_root_cause.html", sam)
    assert "Unplugged." in cause and "checked" in cause
    assert "<form" not in card("desk/_root_cause.html", viewer)
