"""The token form says what a token of each scope can do for its owner's role."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.catalog.factories import make_service
from tests.factories import login, make_user


def _scope_options(page: str) -> list[str]:
    select = re.search(r'<select id="token-scope".*?</select>', page, re.S)
    assert select, "no scope field"
    return [html.unescape(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", select.group(0))]


def _created_secret(page: str) -> str:
    match = re.search(r'<code class="secret" id="new-token">([^<]+)</code>', page)
    assert match, "no new token shown"
    return match.group(1)


def test_it_tells_a_viewer_their_write_token_reaches_only_their_own_things(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.VIEWER))
    make_service(session, clock, slug="app-server")
    assert _scope_options(client.get("/me").text) == [
        "read: looks, changes nothing",
        "write: your profile, notifications, subscriptions and calendar feeds only",
    ]

    created = client.post(
        "/me/tokens", data={"csrf_token": csrf, "name": "director", "scope": "write"}
    )
    assert created.status_code == 200
    auth = {"Authorization": f"Bearer {_created_secret(created.text)}"}
    machine = TestClient(client.app)
    # What the label promises works; what the role cannot do is refused, naming the role.
    assert machine.post("/api/v1/services/app-server/subscribe", headers=auth).status_code == 204
    refused = machine.post(
        "/api/v1/incidents", json={"service": "app-server", "title": "Down"}, headers=auth
    )
    assert refused.status_code == 403
    assert "needs the responder role" in refused.json()["detail"]


def test_it_offers_a_responder_a_write_token_for_all_their_role_does(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.RESPONDER))
    page = client.get("/me").text
    assert _scope_options(page) == [
        "read: looks, changes nothing",
        "write: everything your role can do",
    ]
    assert 'option value="read" selected' in page


def test_it_shows_a_token_problem_next_to_its_field(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    csrf = login(client, make_user(session, clock, role=Role.VIEWER))
    refused = client.post("/me/tokens", data={"csrf_token": csrf, "name": "   ", "scope": "write"})
    assert refused.status_code == 422
    field = re.search(
        r'<input id="token-name"[^>]*>\s*<p [^>]*id="token-name-error"[^>]*>(.*?)</p>', refused.text
    )
    assert field, "no message next to the name field"
    assert "give the token a name" in html.unescape(field.group(1))
    assert 'aria-describedby="token-name-error"' in refused.text
    assert "No tokens yet." in refused.text
