"""Every route, walked with every kind of caller.

The table is the app itself: each route declares the role it needs through the `Viewer`,
`Responder` or `Admin` dependency. A route with none must be listed in PUBLIC_ROUTES with its
reason, so a new route can never be public by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_token, make_user

# (method, path) -> why it needs no sign-in
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "load balancers and monitors probe it",
    ("GET", "/metrics"): "Prometheus scrapes it: allowed networks or its own token, no sign-in",
    ("GET", "/login"): "the sign-in page",
    ("POST", "/login"): "signing in",
    ("POST", "/logout"): "signing out works even with an expired session",
    ("GET", "/act/{token}"): "signed link from a message; the token names the person",
    ("POST", "/act/{token}"): "confirming a signed link; the token names the person",
    ("GET", "/calendar/{token}.ics"): "on-call ICS feeds for calendar apps; the token is the key",
    ("POST", "/v2/enqueue"): "PagerDuty Events API v2; the routing_key in the body is the key",
    ("POST", "/integrations/{key}/{kind}"): "monitoring webhooks; the integration key in the URL",
    ("POST", "/integrations/{kind}"): "monitoring webhooks; the integration key as a Bearer header",
    ("GET", "/ping/{key}"): "heartbeat pings from cron jobs; the uuid is the secret",
    ("POST", "/ping/{key}"): "heartbeat pings with the job's output; the uuid is the secret",
    ("GET", "/ping/{key}/{action}"): "heartbeat start/fail/log/exit-status pings; uuid is secret",
    ("POST", "/ping/{key}/{action}"): "heartbeat start/fail/log/exit-status pings; uuid is secret",
    ("GET", "/portal"): "the requester portal's sign-in page: asks for an email, says nothing",
    ("POST", "/portal"): "a requester asks for an emailed link; same answer for any address",
    ("GET", "/portal/signin/{token}"): "a requester's emailed link; only shows a button",
    ("POST", "/portal/signin/{token}"): "spends a requester's one-time link; the token is the key",
    ("POST", "/portal/signout"): "the requester portal; drops its own cookie, never a staff one",
    ("GET", "/portal/tickets"): "the requester portal; its own signed cookie, never a staff one",
    ("GET", "/portal/tickets/new"): "the requester portal; its own signed cookie, never staff",
    ("POST", "/portal/tickets/new"): "the requester portal; its own signed cookie, never staff",
    ("GET", "/portal/tickets/{ticket_id}"): "the requester portal; their own tickets only",
    ("POST", "/portal/tickets/{ticket_id}/messages"): "the requester portal; own tickets only",
    ("GET", "/portal/tickets/{ticket_id}/files/{file_id}"): "the portal; own, shared files only",
}

CALLERS = ["anonymous", "viewer", "responder", "admin", "read-token", "write-token"]
SAFE = {"GET", "HEAD"}


def _required_role(route: APIRoute) -> Role | None:
    def walk(dependant: object) -> Iterator[Role]:
        call = getattr(dependant, "call", None)
        role = getattr(call, "required_role", None)
        if role is not None:
            yield role
        for sub in getattr(dependant, "dependencies", []):
            yield from walk(sub)

    roles = list(walk(route.dependant))
    return max(roles, key=lambda r: r.rank) if roles else None


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    found = []
    # Newer FastAPI keeps each included router as one entry; walk into them.
    pending = list(app.routes)
    while pending:
        route = pending.pop(0)
        included = getattr(route, "original_router", None)
        if included is not None:
            pending[0:0] = list(included.routes)
            continue
        if isinstance(route, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path, route))
    return found


def _concrete(path: str) -> str:
    # Path parameters get a value that names nothing, so an allowed caller sees 404 or 422,
    # never the data of a real row.
    return re.sub(r"\{[^}]+\}", "999999", path)


def _expected_allowed(caller: str, method: str, role: Role) -> bool:
    if caller == "anonymous":
        return False
    if caller.endswith("token"):
        if method not in SAFE and caller == "read-token":
            return False
        return Role.ADMIN.allows(role)  # tokens here belong to an admin
    return Role(caller).allows(role)


def test_it_declares_a_role_or_a_reason_for_every_route(app: FastAPI) -> None:
    undeclared = [
        f"{method} {path}"
        for method, path, route in _routes(app)
        if _required_role(route) is None and (method, path) not in PUBLIC_ROUTES
    ]
    assert undeclared == []


# Role checks do not depend on the database, and this walks every route six times: SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("caller", CALLERS)
def test_it_enforces_roles_on_every_route(
    app: FastAPI, client: TestClient, session: Session, clock: FakeClock, caller: str
) -> None:
    headers: dict[str, str] = {}
    csrf = ""
    if caller in ("viewer", "responder", "admin"):
        csrf = login(client, make_user(session, clock, role=Role(caller)))
        headers["X-CSRF-Token"] = csrf
    elif caller.endswith("token"):
        admin = make_user(session, clock, role=Role.ADMIN)
        scope = TokenScope.READ if caller == "read-token" else TokenScope.WRITE
        headers["Authorization"] = f"Bearer {make_token(session, clock, admin, scope)}"

    wrong: list[str] = []
    for method, path, route in _routes(app):
        role = _required_role(route)
        if role is None:
            continue
        if path.startswith("/logout"):
            continue
        response = client.request(method, _concrete(path), headers=headers)
        denied = response.status_code in (401, 403) or (
            response.status_code == 303 and "/login" in response.headers.get("location", "")
        )
        if _expected_allowed(caller, method, role) == denied:
            wrong.append(f"{method} {path}: {response.status_code} (needs {role.value})")
        assert response.status_code < 500, f"{method} {path} gave {response.status_code}"
    assert wrong == []
