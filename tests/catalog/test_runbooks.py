from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.catalog.factories import make_department, make_service
from tests.factories import login, make_user

STEPS = [
    {"kind": "check", "text": "Is the disk on `txn-01` full?"},
    {"kind": "plain", "text": "Restart the app service."},
]


def _responder(
    client: TestClient, session: Session, clock: FakeClock, name: str = "Sam"
) -> dict[str, str]:
    user = make_user(session, clock, role=Role.RESPONDER, name=name)
    return {"X-CSRF-Token": login(client, user)}


def test_it_keeps_every_edit_as_a_version_with_its_author(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app-server")
    headers = _responder(client, session, clock, name="Priya Raman")
    created = client.post(
        "/api/v1/services/app-server/runbooks",
        json={"title": "App down", "body": "Check txn first.", "steps": STEPS},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    runbook_id = created.json()["id"]
    assert created.json()["slug"] == "app-down"
    clock.advance(timedelta(days=3))
    edited = client.put(
        f"/api/v1/runbooks/{runbook_id}",
        json={
            "title": "App down",
            "body": "Check **txn-server** first.",
            "steps": STEPS[:1],
            "summary": "shorter",
        },
        headers=headers,
    )
    assert edited.json()["current_version"] == 2
    versions = client.get(f"/api/v1/runbooks/{runbook_id}/versions").json()
    assert [(v["number"], v["author"]["display_name"], v["summary"]) for v in versions] == [
        (2, "Priya Raman", "shorter"),
        (1, "Priya Raman", "first version"),
    ]
    first = client.get(f"/api/v1/runbooks/{runbook_id}/versions/1").json()
    assert first["body"] == "Check txn first."
    assert [s["text"] for s in first["steps"]] == [s["text"] for s in STEPS]


def test_it_writes_no_version_when_nothing_changed(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    headers = _responder(client, session, clock)
    body = {"title": "Restart", "body": "x", "steps": STEPS}
    runbook_id = client.post("/api/v1/services/app/runbooks", json=body, headers=headers).json()[
        "id"
    ]
    again = client.put(f"/api/v1/runbooks/{runbook_id}", json=body, headers=headers)
    assert again.json()["current_version"] == 1


def test_it_needs_a_department_for_a_disruptive_step(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    theatres = make_department(session, clock)
    headers = _responder(client, session, clock)
    reboot = {"kind": "disruptive", "text": "Reboot the app server"}
    refused = client.post(
        "/api/v1/services/app/runbooks",
        json={"title": "Reboot", "steps": [reboot]},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "steps.1.confirm_with"
    accepted = client.post(
        "/api/v1/services/app/runbooks",
        json={"title": "Reboot", "steps": [{**reboot, "confirm_department_id": theatres.id}]},
        headers=headers,
    )
    assert accepted.status_code == 201
    step = accepted.json()["current"]["steps"][0]
    assert step["confirm_department"]["slug"] == "theatres"


def test_it_shows_a_disruptive_step_with_whom_to_ask(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    theatres = make_department(session, clock)
    headers = _responder(client, session, clock)
    client.post(
        "/api/v1/services/app/runbooks",
        json={
            "title": "Reboot",
            "steps": [
                {
                    "kind": "disruptive",
                    "text": "Reboot the app server",
                    "confirm_department_id": theatres.id,
                }
            ],
        },
        headers=headers,
    )
    page = client.get("/services/app/runbooks/reboot")
    assert "Needs confirmation from" in page.text
    assert "Theatre in session 07:30-18:00" in page.text
    assert 'href="tel:+442079460102"' in page.text


def test_it_renders_markdown_without_running_script(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    headers = _responder(client, session, clock)
    body = (
        "**Bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    client.post(
        "/api/v1/services/app/runbooks", json={"title": "Safe", "body": body}, headers=headers
    )
    page = client.get("/services/app/runbooks/safe").text
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page
    assert "<img" not in page  # shown as text, never as a tag


def test_it_flags_a_runbook_as_stale_until_someone_reviews_it(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    lee = make_user(session, clock, role=Role.RESPONDER, name="Lee Chen")
    headers = {"X-CSRF-Token": login(client, lee)}
    runbook_id = client.post(
        "/api/v1/services/app/runbooks", json={"title": "Old"}, headers=headers
    ).json()["id"]
    clock.advance(timedelta(days=181))
    headers = {"X-CSRF-Token": login(client, lee)}  # the old sign-in has expired by now
    assert client.get(f"/api/v1/runbooks/{runbook_id}").json()["stale"] is True
    assert "Not reviewed for over 180 days" in client.get("/services/app/runbooks/old").text
    reviewed = client.post(f"/api/v1/runbooks/{runbook_id}/review", headers=headers).json()
    assert reviewed["stale"] is False
    assert reviewed["last_reviewed_by"]["display_name"] == "Lee Chen"
    assert reviewed["current_version"] == 1


def test_it_lets_viewers_read_but_not_write_runbooks(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    viewer = make_user(session, clock, role=Role.VIEWER)
    token = login(client, viewer)
    refused = client.post(
        "/api/v1/services/app/runbooks", json={"title": "Mine"}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403
    assert client.get("/services/app/runbooks/new").status_code == 403


def test_it_edits_a_runbook_from_the_page_and_keeps_the_history(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    theatres = make_department(session, clock)
    token = login(client, make_user(session, clock, role=Role.RESPONDER, name="Dana"))
    created = client.post(
        "/services/app/runbooks",
        data={
            "csrf_token": token,
            "title": "App down",
            "body": "First",
            "step_kind": ["check", "plain"],
            "step_text": ["Look at logs", ""],
            "step_confirm": ["", ""],
        },
    )
    assert created.status_code == 303
    assert created.headers["location"].startswith("/services/app/runbooks/app-down")
    edited = client.post(
        "/services/app/runbooks/app-down/edit",
        data={
            "csrf_token": token,
            "title": "App down",
            "body": "Second",
            "base_version": "1",
            "summary": "add the reboot",
            "step_kind": ["check", "disruptive"],
            "step_text": ["Look at logs", "Reboot"],
            "step_confirm": ["", str(theatres.id)],
        },
    )
    assert edited.status_code == 303, edited.text
    history = client.get("/services/app/runbooks/app-down/history").text
    assert "add the reboot" in history
    assert "Dana" in history
    assert "First" in client.get("/services/app/runbooks/app-down/versions/1").text


def test_it_refuses_to_overwrite_an_edit_made_meanwhile(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    token = login(client, make_user(session, clock, role=Role.RESPONDER))
    client.post("/services/app/runbooks", data={"csrf_token": token, "title": "App"})
    form = {"csrf_token": token, "title": "App", "base_version": "1"}
    assert (
        client.post("/services/app/runbooks/app/edit", data={**form, "body": "mine"}).status_code
        == 303
    )
    stale = client.post("/services/app/runbooks/app/edit", data={**form, "body": "theirs"})
    assert stale.status_code == 409
    assert "someone saved version 2 while you were editing" in stale.text
    assert "theirs" in stale.text  # their text is still in the form
