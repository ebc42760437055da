from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from tests.factories import PASSWORD, csrf_token, login, make_user


def test_it_signs_in_and_shows_the_profile(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock, name="Sam Okafor", time_zone="Europe/London")
    login(client, user)
    page = client.get("/me")
    assert page.status_code == 200
    assert "Sam Okafor" in page.text
    assert "Europe/London" in page.text


def test_it_sets_a_safe_session_cookie(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["set-cookie"]
    assert "tp_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")


def test_it_refuses_a_wrong_password(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": "not-the-password",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert client.get("/me").status_code == 303


def test_it_rate_limits_repeated_failures(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    token = csrf_token(client)
    for _ in range(5):
        client.post(
            "/login", data={"email": user.email, "password": "nope-nope-nope", "csrf_token": token}
        )
    blocked = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "too many failed sign-ins" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    clock.advance(timedelta(minutes=16))
    allowed = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert allowed.status_code == 303


def test_it_signs_out(client: TestClient, session: Session, clock: FakeClock) -> None:
    user = make_user(session, clock)
    token = login(client, user)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/me").status_code == 303


def test_it_only_redirects_to_local_paths_after_sign_in(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, clock)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"
