from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.lib.clock import FakeClock
from tests.factories import PASSWORD, login, make_user


def test_it_refuses_a_form_posted_without_its_csrf_token(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock, name="Before")
    login(client, user)
    response = client.post("/me", data={"display_name": "After", "time_zone": "UTC"})
    assert response.status_code == 403
    assert "CSRF token" in response.text
    session.expire_all()
    assert session.get(User, user.id).display_name == "Before"  # type: ignore[union-attr]


def test_it_refuses_a_forged_csrf_token(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    login(client, admin)
    response = client.post(
        "/admin/users",
        data={
            "display_name": "Mallory",
            "email": "mallory@example.org",
            "time_zone": "UTC",
            "role": "admin",
            "password": "mallory-password",
            "csrf_token": "0" * 64,
        },
    )
    assert response.status_code == 403
    assert session.scalar(select(User).where(User.email == "mallory@example.org")) is None


def test_it_refuses_a_sign_in_form_without_a_token(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403


def test_it_accepts_json_api_calls_from_the_browser_only_with_the_header(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    csrf = login(client, user)
    without = client.patch("/api/v1/me", json={"display_name": "Changed"})
    assert without.status_code == 403
    with_header = client.patch(
        "/api/v1/me", json={"display_name": "Changed"}, headers={"X-CSRF-Token": csrf}
    )
    assert with_header.status_code == 200
    assert with_header.json()["display_name"] == "Changed"
