"""The digests API refuses a range it would spend minutes on, at once and naming `since`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from takepoint.timeline.api import MAX_DIGEST_DAYS
from tests.factories import make_token, make_user

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_it_refuses_a_since_centuries_back(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    headers = {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.READ)}"}
    refused = client.get("/api/v1/timeline/digests?since=0001-01-01", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["field"] == "since"
    assert str(MAX_DIGEST_DAYS) in refused.json()["detail"]
    today = clock.now().date()
    since = today.replace(year=today.year - 9)
    assert client.get(f"/api/v1/timeline/digests?since={since}", headers=headers).status_code == 200
