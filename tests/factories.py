"""A few typed helpers for arranging tests."""

from __future__ import annotations

import re
from itertools import count

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts import service
from takepoint.accounts.models import Role, TokenScope, User
from takepoint.lib.clock import FakeClock

PASSWORD = "correct-horse-battery"
_seq = count(1)


def make_user(
    session: Session,
    clock: FakeClock,
    *,
    role: Role = Role.RESPONDER,
    name: str | None = None,
    email: str | None = None,
    time_zone: str = "UTC",
    password: str | None = PASSWORD,
) -> User:
    n = next(_seq)
    user = service.create_user(
        session,
        email=email or f"user{n}@example.org",
        display_name=name or f"User {n}",
        role=role,
        time_zone=time_zone,
        password=password,
        now=clock.now(),
    )
    session.commit()
    return user


def make_token(session: Session, clock: FakeClock, user: User, scope: TokenScope) -> str:
    _, secret = service.create_api_token(
        session, user=user, name="test", scope=scope, now=clock.now()
    )
    session.commit()
    return secret


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """Load a page with a form and read the CSRF token out of it, as a browser would."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def login(client: TestClient, user: User, password: str = PASSWORD) -> str:
    """Sign in through the real form; returns a CSRF token for further posts."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_token(client, "/me")
