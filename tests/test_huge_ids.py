"""An id too large for any row is a clear 4xx on every route, never a 500.

SQLite refuses integers past 64 bits before the query runs, and PostgreSQL compares them
as numerics; either way the caller named a row that cannot exist.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.accounts.test_role_matrix import _routes
from tests.factories import login, make_user

TOO_LARGE = str(2**64)


def test_no_route_fails_on_an_id_past_64_bits(
    app: FastAPI, client: TestClient, session: Session, clock: FakeClock
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.ADMIN))
    failed = []
    for method, path, _route in _routes(app):
        if "{" not in path or path.startswith("/logout"):
            continue
        concrete = re.sub(r"\{[^}]+\}", TOO_LARGE, path)
        response = client.request(method, concrete, headers={"X-CSRF-Token": csrf})
        if response.status_code >= 500:
            failed.append(f"{method} {path}: {response.status_code}")
    assert failed == []
