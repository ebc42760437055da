"""The role matrix, for the catalog's routes alone: every one needs the role it declares."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from tests.accounts.test_role_matrix import (
    CALLERS,
    _concrete,
    _expected_allowed,
    _required_role,
    _routes,
)
from tests.factories import login, make_token, make_user


def _catalog_routes(app: FastAPI) -> list[tuple[str, str, Role]]:
    found = []
    for method, path, route in _routes(app):
        if route.endpoint.__module__.startswith("takepoint.catalog"):
            role = _required_role(route)
            assert role is not None, f"{method} {path} declares no role"
            found.append((method, path, role))
    return found


def test_it_walks_every_catalog_route(app: FastAPI) -> None:
    paths = {(m, p) for m, p, _ in _catalog_routes(app)}
    assert ("GET", "/services/{slug}") in paths
    assert ("POST", "/api/v1/catalog/apply") in paths
    assert len(paths) > 50


@pytest.mark.parametrize("caller", CALLERS)
def test_it_gives_each_catalog_route_its_role(
    app: FastAPI, client: TestClient, session: Session, clock: FakeClock, caller: str
) -> None:
    headers: dict[str, str] = {}
    if caller in ("viewer", "responder", "admin"):
        headers["X-CSRF-Token"] = login(client, make_user(session, clock, role=Role(caller)))
    elif caller.endswith("token"):
        admin = make_user(session, clock, role=Role.ADMIN)
        scope = TokenScope.READ if caller == "read-token" else TokenScope.WRITE
        headers["Authorization"] = f"Bearer {make_token(session, clock, admin, scope)}"
    wrong = []
    for method, path, role in _catalog_routes(app):
        response = client.request(method, _concrete(path), headers=headers)
        denied = response.status_code in (401, 403) or (
            response.status_code == 303 and "/login" in response.headers.get("location", "")
        )
        if _expected_allowed(caller, method, role) == denied:
            wrong.append(f"{method} {path}: {response.status_code} (needs {role.value})")
        assert response.status_code < 500, f"{method} {path} gave {response.status_code}"
    assert wrong == []
