from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_token, make_user


def test_it_answers_401_without_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "API token" in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_it_refuses_an_unknown_token(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer tp_not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["detail"] == "that API token is unknown or revoked"


def test_it_refuses_a_malformed_authorization_header(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_it_shows_the_token_once_and_stores_only_its_hash(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    csrf = login(client, user)
    created = client.post(
        "/api/v1/tokens",
        json={"name": "monitoring", "scope": "read"},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()
    assert all("token" not in t for t in listed)
    assert secret not in client.get("/me").text
    fresh = TestClient(client.app)
    assert (
        fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["email"]
        == user.email
    )


def test_it_stops_a_revoked_token_at_once(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    secret = make_token(session, clock, user, TokenScope.WRITE)
    auth = {"Authorization": f"Bearer {secret}"}
    token_id = client.get("/api/v1/tokens", headers=auth).json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).status_code == 200
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 401


def test_it_keeps_a_read_token_from_writing(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    auth = {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.READ)}"}
    assert client.get("/api/v1/users", headers=auth).status_code == 200
    response = client.post(
        "/api/v1/users", json={"email": "x@example.org", "display_name": "X"}, headers=auth
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_it_limits_a_token_to_its_owner_role(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    viewer = make_user(session, clock, role=Role.VIEWER)
    auth = {"Authorization": f"Bearer {make_token(session, clock, viewer, TokenScope.WRITE)}"}
    response = client.post(
        "/api/v1/users", json={"email": "x@example.org", "display_name": "X"}, headers=auth
    )
    assert response.status_code == 403
    assert "admin role" in response.json()["detail"]
