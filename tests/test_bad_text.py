"""A NUL character in anything a person types is a 422 naming the field, on both databases.

PostgreSQL cannot store one in a text column (it answered 500); SQLite stored it. Now both
refuse before anything is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.catalog.models import Service
from takepoint.incidents.models import Incident
from takepoint.lib.clock import FakeClock
from takepoint.timeline.models import TimelineEntry
from tests.factories import make_token, make_user
from tests.signals.conftest import make_service


def _admin(session: Session, clock: FakeClock) -> dict[str, str]:
    admin = make_user(session, clock, role=Role.ADMIN)
    return {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.WRITE)}"}


def _refused(response: Any, field: str) -> None:  # the test client's response
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field
    assert "NUL" in body["detail"]


def test_nul_in_a_title_a_name_or_a_note_is_refused_and_nothing_is_written(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    headers = _admin(session, clock)
    service = make_service(session, clock, slug="txn")

    opened = client.post(
        "/api/v1/incidents", json={"service": "txn", "title": "disk\x00full"}, headers=headers
    )
    _refused(opened, "title")
    assert session.scalar(select(func.count()).select_from(Incident)) == 0

    renamed = client.patch(
        f"/api/v1/services/{service.slug}", json={"name": "T\x00"}, headers=headers
    )
    _refused(renamed, "name")
    session.expire_all()
    assert session.get(Service, service.id).name == "Txn"  # type: ignore[union-attr]

    me = client.patch("/api/v1/me", json={"display_name": "Dana\x00"}, headers=headers)
    _refused(me, "display_name")

    incident = client.post(
        "/api/v1/incidents", json={"service": "txn", "title": "disk full"}, headers=headers
    ).json()
    before = session.scalar(select(func.count()).select_from(TimelineEntry))
    note = client.post(
        f"/api/v1/incidents/{incident['id']}/notes", json={"text": "a\x00b"}, headers=headers
    )
    _refused(note, "text")
    assert session.scalar(select(func.count()).select_from(TimelineEntry)) == before


def test_a_row_stored_with_a_nul_before_can_still_be_changed(
    app: FastAPI, session: Session, clock: FakeClock, backend: str
) -> None:
    # Only what changes is checked: an old value must not lock a row forever. (PostgreSQL
    # never stored one, so this is SQLite's case.)
    if backend != "sqlite":
        pytest.skip("PostgreSQL cannot store a NUL, so none of its rows holds one")
    client = TestClient(app, raise_server_exceptions=False)
    headers = _admin(session, clock)
    service = make_service(session, clock, slug="txn")
    session.execute(update(Service).where(Service.id == service.id).values(description="a\x00b"))
    session.commit()
    response = client.patch("/api/v1/services/txn", json={"name": "Txn two"}, headers=headers)
    assert response.status_code == 200, response.text
