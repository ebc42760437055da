"""The demo hospital, signed in as one of its people."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD
from takepoint.accounts.models import User
from tests.factories import login


def person(session: Session, key: str) -> User:
    user = session.scalar(select(User).where(User.email == f"{key}@{DEMO_DOMAIN}"))
    assert user is not None, key
    return user


def signed_in(client: TestClient, session: Session, key: str) -> tuple[TestClient, str]:
    """A fresh browser-like client for `key`, and its CSRF token."""
    other = TestClient(client.app, follow_redirects=False)
    return other, login(other, person(session, key), DEMO_PASSWORD)
