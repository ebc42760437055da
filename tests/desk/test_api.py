from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope, User
from takepoint.desk.models import SlaRule
from takepoint.lib.clock import FakeClock
from tests.factories import make_token, make_user


def _bearer(session: Session, clock: FakeClock, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


def _agent(session: Session, clock: FakeClock, role: Role = Role.RESPONDER) -> dict[str, str]:
    return _bearer(session, clock, make_user(session, clock, role=role))


def _rule(session: Session) -> None:
    session.add(
        SlaRule(name="Everything", position=1, first_response_minutes=60, resolution_minutes=480)
    )
    session.flush()


def _ticket(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    requester = client.post(
        "/api/v1/requesters",
        json={"name": "Ada Nurse", "phone": "020 7946 0018", "email": "ada@ward4.example.org"},
        headers=headers,
    )
    assert requester.status_code == 201, requester.text
    body = {"requester_id": requester.json()["id"], "title": "Ward 4 printer jams", **extra}
    opened = client.post("/api/v1/tickets", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    ticket: dict[str, Any] = opened.json()
    return ticket


def test_it_opens_a_ticket_with_its_clocks_and_finds_the_requester(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    _rule(session)
    headers = _agent(session, clock)
    ticket = _ticket(client, headers, priority="p2")
    assert ticket["state"] == "new"
    assert ticket["channel"] == "api"
    assert ticket["sla_reason"] == "rule 'Everything': it matches every ticket"
    clocks = {c["target"]: c for c in ticket["clocks"]}
    assert clocks["first_response"]["state"] == "running"
    assert clocks["first_response"]["left_seconds"] == 3600
    assert clocks["first_response"]["due_at"].startswith("2026-03-02T10:00:00")
    assert clocks["resolution"]["business"] is False

    found = client.get("/api/v1/requesters", params={"q": "7946 0018"}, headers=headers)
    assert [r["name"] for r in found.json()] == ["Ada Nurse"]
    listed = client.get(
        "/api/v1/tickets", params={"view": "unassigned", "q": "printer"}, headers=headers
    )
    assert [t["id"] for t in listed.json()] == [ticket["id"]]
    assert client.get("/api/v1/tickets", params={"view": "mine"}, headers=headers).json() == []


def test_it_never_shows_a_note_in_what_the_requester_sees(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    _rule(session)
    headers = _agent(session, clock)
    ticket = _ticket(client, headers)
    url = f"/api/v1/tickets/{ticket['id']}"
    clock.advance(timedelta(minutes=20))
    reply = client.post(f"{url}/replies", json={"body": "Which tray?"}, headers=headers)
    assert reply.status_code == 201, reply.text
    note = client.post(f"{url}/notes", json={"body": "Fuser is worn out"}, headers=headers)
    assert note.status_code == 201, note.text

    agents = client.get(f"{url}/messages", headers=headers).json()
    assert [(m["body"], m["public"]) for m in agents] == [
        ("Which tray?", True),
        ("Fuser is worn out", False),
    ]
    requester = client.get(f"{url}/messages", params={"public_only": True}, headers=headers)
    assert [m["body"] for m in requester.json()] == ["Which tray?"]

    detail = client.get(url, headers=headers).json()
    assert detail["state"] == "open"
    assert {c["target"]: c["state"] for c in detail["clocks"]}["first_response"] == "met"


def test_it_pauses_the_clocks_while_waiting_and_explains_the_rule(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    _rule(session)
    headers = _agent(session, clock)
    ticket = _ticket(client, headers)
    url = f"/api/v1/tickets/{ticket['id']}"
    waiting = client.post(f"{url}/state", json={"state": "waiting_on_requester"}, headers=headers)
    assert waiting.status_code == 200, waiting.text
    clocks = {c["target"]: c for c in waiting.json()["clocks"]}
    assert clocks["resolution"]["state"] == "paused"
    assert clocks["resolution"]["due_at"] is None

    lines = client.get(f"{url}/sla", headers=headers).json()["lines"]
    assert lines[0] == f"Ticket #{ticket['id']}: rule 'Everything': it matches every ticket"
    assert any("resolution: target 480 min" in line and "paused" in line for line in lines)

    raised = client.post(f"{url}/priority", json={"priority": "p1"}, headers=headers)
    assert raised.json()["priority"] == "p1"


def test_it_assigns_to_an_agent_and_refuses_an_unknown_one(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _agent(session, clock)
    sam = make_user(session, clock, name="Sam Okafor")
    ticket = _ticket(client, headers)
    url = f"/api/v1/tickets/{ticket['id']}/assign"
    done = client.post(url, json={"assignee_id": sam.id, "team_id": None}, headers=headers)
    assert done.json()["assignee_id"] == sam.id
    wrong = client.post(url, json={"assignee_id": 9999}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "assignee_id"


def test_it_names_the_field_of_bad_input(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _agent(session, clock)
    requester_id = _ticket(client, headers)["requester_id"]

    def problem(**body: Any) -> tuple[int, str]:
        response = client.post("/api/v1/tickets", json=body, headers=headers)
        return response.status_code, response.json().get("field", "")

    assert problem(requester_id=requester_id, title="  ") == (422, "title")
    assert problem(requester_id=9999, title="Help") == (422, "requester_id")
    assert problem(requester_id=requester_id, title="Help", category_id=9999) == (
        422,
        "category_id",
    )
    assert problem(title="Help") == (422, "requester_id")
    nameless = client.post("/api/v1/requesters", json={"name": ""}, headers=headers)
    assert (nameless.status_code, nameless.json()["field"]) == (422, "name")


def test_it_answers_404_for_an_unknown_ticket(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _agent(session, clock)
    assert client.get("/api/v1/tickets/9999", headers=headers).status_code == 404
    missing = client.post("/api/v1/tickets/9999/replies", json={"body": "hi"}, headers=headers)
    assert missing.status_code == 404
    assert client.get("/api/v1/requesters/9999", headers=headers).status_code == 404


def test_it_refuses_a_reply_to_a_closed_ticket(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _agent(session, clock)
    ticket = _ticket(client, headers)
    url = f"/api/v1/tickets/{ticket['id']}"
    assert client.post(f"{url}/state", json={"state": "closed"}, headers=headers).status_code == 200
    late = client.post(f"{url}/replies", json={"body": "One more thing"}, headers=headers)
    assert late.status_code == 409
    assert "closed" in late.json()["detail"]


def test_it_lets_a_viewer_read_but_not_write(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    ticket = _ticket(client, _agent(session, clock))
    viewer = _agent(session, clock, Role.VIEWER)
    url = f"/api/v1/tickets/{ticket['id']}"
    assert client.get(url, headers=viewer).status_code == 200
    assert client.post(f"{url}/notes", json={"body": "x"}, headers=viewer).status_code == 403
    assert client.post(f"{url}/state", json={"state": "open"}, headers=viewer).status_code == 403
    body = {"requester_id": ticket["requester_id"], "title": "Mine too"}
    assert client.post("/api/v1/tickets", json=body, headers=viewer).status_code == 403
    assert client.post("/api/v1/requesters", json={"name": "Bo"}, headers=viewer).status_code == 403


def test_it_lets_only_an_admin_add_a_category(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    responder = _agent(session, clock)
    admin = _agent(session, clock, Role.ADMIN)
    denied = client.post("/api/v1/desk/categories", json={"name": "Printing"}, headers=responder)
    assert denied.status_code == 403
    made = client.post("/api/v1/desk/categories", json={"name": "Printing"}, headers=admin)
    assert made.status_code == 201, made.text
    listed = client.get("/api/v1/desk/categories", headers=responder).json()
    assert [c["name"] for c in listed] == ["Printing"]
    ticket = _ticket(client, responder, category_id=made.json()["id"])
    assert ticket["category_id"] == made.json()["id"]


def test_it_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/requesters",
        "/api/v1/requesters/{requester_id}",
        "/api/v1/desk/categories",
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/messages",
        "/api/v1/tickets/{ticket_id}/replies",
        "/api/v1/tickets/{ticket_id}/notes",
        "/api/v1/tickets/{ticket_id}/assign",
        "/api/v1/tickets/{ticket_id}/state",
        "/api/v1/tickets/{ticket_id}/priority",
        "/api/v1/tickets/{ticket_id}/sla",
    ):
        assert path in paths, path
