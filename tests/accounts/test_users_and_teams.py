from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, Team, User
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_user


def _admin(client: TestClient, session: Session, clock: FakeClock) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, make_user(session, clock, role=Role.ADMIN))}


def test_it_creates_users_with_a_role_and_a_zone(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    response = client.post(
        "/api/v1/users",
        json={
            "email": "Lee@Example.org",
            "display_name": "Lee Chen",
            "time_zone": "Asia/Kolkata",
            "role": "viewer",
        },
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json()["email"] == "lee@example.org"
    assert response.json()["role"] == "viewer"


def test_it_names_the_bad_field(client: TestClient, session: Session, clock: FakeClock) -> None:
    headers = _admin(client, session, clock)
    before = session.scalar(select(func.count()).select_from(User))
    bad_zone = client.post(
        "/api/v1/users",
        json={"email": "a@example.org", "display_name": "A", "time_zone": "Mars/Olympus"},
        headers=headers,
    )
    assert bad_zone.status_code == 422
    assert bad_zone.json()["field"] == "time_zone"
    bad_role = client.post(
        "/api/v1/users",
        json={"email": "b@example.org", "display_name": "B", "role": "god"},
        headers=headers,
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["field"] == "role"
    unknown = client.post(
        "/api/v1/users",
        json={"email": "c@example.org", "display_name": "C", "shoe": 9},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "shoe"
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_it_refuses_a_duplicate_email(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    make_user(session, clock, email="dup@example.org")
    response = client.post(
        "/api/v1/users", json={"email": "DUP@example.org", "display_name": "Dup"}, headers=headers
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_it_keeps_the_last_admin(client: TestClient, session: Session, clock: FakeClock) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    headers = {"X-CSRF-Token": login(client, admin)}
    response = client.patch(f"/api/v1/users/{admin.id}", json={"role": "viewer"}, headers=headers)
    assert response.status_code == 409
    assert "last admin" in response.json()["detail"]


def test_it_builds_a_team_with_a_lead_and_members(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    dana = make_user(session, clock, name="Dana")
    sam = make_user(session, clock, name="Sam")
    created = client.post(
        "/api/v1/teams",
        json={"name": "Hospital IT", "lead_id": dana.id, "member_ids": [sam.id]},
        headers=headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["slug"] == "hospital-it"
    assert body["lead_id"] == dana.id
    assert sorted(body["member_ids"]) == sorted([dana.id, sam.id])
    moved = client.patch(f"/api/v1/teams/{body['id']}", json={"lead_id": sam.id}, headers=headers)
    assert moved.json()["lead_id"] == sam.id
    assert session.scalar(select(func.count()).select_from(Team)) == 1


def test_it_lets_anyone_signed_in_set_their_own_zone(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    viewer = make_user(session, clock, role=Role.VIEWER)
    csrf = login(client, viewer)
    response = client.post(
        "/me", data={"display_name": "V", "time_zone": "America/New_York", "csrf_token": csrf}
    )
    assert response.status_code == 303
    assert "America/New_York" in client.get("/me").text
