"""Evidence: attached over a form or the API, checked by content, chained by its hash."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.app import create_app
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.incidents.record_models import Evidence
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.timeline.chain import entries, verify_chain
from takepoint.timeline.models import EntryKind
from tests.factories import db_context, login
from tests.incidents.world import World, build_world, phone_incident

LOG = b"2026-03-02 07:38:12 txn-01 postgres: could not write to file: No space left on device\n"


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _incident(session: Session, clock: FakeClock, world: World) -> Incident:
    incident = phone_incident(
        session, clock, world, title="App server not responding", reporter=world.sam
    )
    incidents.add_note(
        session, incident=incident, user=world.sam, text="df -h shows /var full", now=clock.now()
    )
    return incident


def _stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _evidence_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Evidence)) or 0


def test_it_attaches_a_log_and_puts_its_hash_in_the_chain(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)

    response = client.post(
        f"/incidents/{incident.id}/evidence",
        data={"csrf_token": token, "caption": "postgres log at 07:38"},
        files={"file": ("postgres.log", LOG, "application/octet-stream")},
    )

    assert response.status_code == 303, response.text
    sha = hashlib.sha256(LOG).hexdigest()
    assert _stored_files(settings) == [settings.data_dir / "evidence" / sha[:2] / sha]
    entry = entries(session, incident.chain)[-1]
    assert entry.kind is EntryKind.EVIDENCE
    assert entry.data["sha256"] == sha
    assert "Sam Okafor attached postgres.log (text or log file" in entry.text
    assert verify_chain(session, incident.chain) is None
    panel = client.get(f"/incidents/{incident.id}/evidence", headers={"HX-Request": "true"})
    assert "postgres.log" in panel.text
    assert sha[:16] in panel.text


def test_it_serves_images_inline_and_everything_else_as_a_download(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    for name, body in (("screen.png", tiny_png()), ("page.html", b"<script>alert(1)</script>")):
        response = client.post(
            f"/api/v1/incidents/{incident.id}/evidence",
            headers={"X-CSRF-Token": token},
            files={"file": (name, body, "text/html")},
        )
        assert response.status_code == 201, response.text
    image, page = client.get(f"/api/v1/incidents/{incident.id}/evidence").json()
    assert (image["media_type"], page["media_type"]) == ("image/png", "text/plain")

    shown = client.get(image["url"])
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")
    assert shown.content == tiny_png()

    downloaded = client.get(f"/incidents/{incident.id}/evidence/{page['id']}/file")
    assert downloaded.headers["content-type"].startswith("text/plain")
    assert downloaded.headers["content-disposition"].startswith("attachment")
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in downloaded.headers["content-security-policy"]


def test_it_judges_the_type_by_content_not_by_name(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    zipped = b"PK\x03\x04" + b"\x00" * 200
    response = client.post(
        f"/api/v1/incidents/{incident.id}/evidence",
        headers={"X-CSRF-Token": token},
        files={"file": ("photo.png", zipped, "image/png")},
    )
    assert response.status_code == 415
    assert response.json()["field"] == "file"
    assert "ZIP archive" in response.json()["detail"]
    assert "PNG, JPEG, GIF or WebP images" in response.json()["detail"]
    assert _evidence_count(session) == 0
    assert _stored_files(settings) == []

    renamed = client.post(
        f"/api/v1/incidents/{incident.id}/evidence",
        headers={"X-CSRF-Token": token},
        files={"file": ("notes.txt", tiny_png(), "text/plain")},
    )
    assert renamed.json()["media_type"] == "image/png"


def test_it_refuses_a_file_over_the_limit_and_keeps_nothing(
    db: Database, session: Session, clock: FakeClock, settings: Settings
) -> None:
    small = settings.model_copy(update={"evidence_max_bytes": 4096})
    client = TestClient(
        create_app(small, registry=db_context(db).registry, clock=clock, db=db),
        follow_redirects=False,
    )
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    before = len(entries(session, incident.chain))

    # Just over the limit: the body is read, counted and refused.
    just_over = client.post(
        f"/api/v1/incidents/{incident.id}/evidence",
        headers={"X-CSRF-Token": token},
        files={"file": ("big.log", b"x" * 4097, "text/plain")},
    )
    # Far over: refused from its Content-Length before the body is read.
    far_over = client.post(
        f"/incidents/{incident.id}/evidence",
        data={"csrf_token": token},
        files={"file": ("huge.log", b"y" * 200_000, "text/plain")},
    )

    assert just_over.status_code == 413
    assert just_over.json() == {
        "detail": "the file is larger than the 4.0 KB limit (TAKEPOINT_EVIDENCE_MAX_BYTES)",
        "field": "file",
    }
    assert far_over.status_code == 413
    assert "4.0 KB limit" in far_over.text
    assert _evidence_count(session) == 0
    assert _stored_files(small) == []
    assert len(entries(session, incident.chain)) == before


def test_it_attaches_to_a_note_and_names_a_wrong_one(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    note = next(e for e in entries(session, incident.chain) if e.kind is EntryKind.NOTE)
    token = login(client, world.sam)

    wrong = client.post(
        f"/api/v1/incidents/{incident.id}/evidence",
        headers={"X-CSRF-Token": token},
        data={"note_seq": "1"},
        files={"file": ("df.txt", b"/dev/sda3 100% /var\n", "text/plain")},
    )
    right = client.post(
        f"/api/v1/incidents/{incident.id}/evidence",
        headers={"X-CSRF-Token": token},
        data={"note_seq": str(note.seq)},
        files={"file": ("df.txt", b"/dev/sda3 100% /var\n", "text/plain")},
    )

    assert wrong.status_code == 422
    assert wrong.json()["field"] == "note_seq"
    assert right.status_code == 201
    assert right.json()["note_seq"] == note.seq
    assert "to the note of" in entries(session, incident.chain)[-1].text


def test_it_lets_viewers_look_but_not_attach(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.morgan)
    refused = client.post(
        f"/incidents/{incident.id}/evidence",
        data={"csrf_token": token},
        files={"file": ("a.log", LOG, "text/plain")},
    )
    without_csrf = TestClient(client.app, follow_redirects=False)
    login(without_csrf, world.sam)
    forged = without_csrf.post(
        f"/incidents/{incident.id}/evidence", files={"file": ("a.log", LOG, "text/plain")}
    )
    assert refused.status_code == 403
    assert forged.status_code == 403
    assert client.get(f"/incidents/{incident.id}/evidence").status_code == 200
    assert _evidence_count(session) == 0


def test_it_refuses_to_serve_a_file_changed_on_disk(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    created = client.post(
        f"/api/v1/incidents/{incident.id}/evidence",
        headers={"X-CSRF-Token": token},
        files={"file": ("a.log", LOG, "text/plain")},
    ).json()
    (stored,) = _stored_files(settings)
    stored.write_bytes(LOG.replace(b"No space", b"Plenty of space"))

    response = client.get(created["url"])

    assert response.status_code == 409
    assert "changed on disk" in response.json()["detail"]
