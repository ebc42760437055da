"""A slug or id that is not ASCII, such as "¹", is refused with a 422, never a 500.

Lookups by "slug or id" tell the two apart with str.isdigit(), which also holds for the
superscript digits that int() cannot read.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_token, make_user

SUPERSCRIPT_ONE = "\u00b9"
PING = "/ping/0b6c8f5e-3d2a-4c1b-9e7f-5a4d3c2b1a09"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _admin(client: TestClient, session: Session, clock: FakeClock) -> dict[str, str]:
    admin = make_user(session, clock, role=Role.ADMIN)
    return {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.WRITE)}"}


def _is_text(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", {})
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
    return "string" in kinds and "enum" not in schema


def test_no_parameter_fails_on_it(client: TestClient, session: Session, clock: FakeClock) -> None:
    headers = _admin(client, session, clock)
    paths = client.get("/api/openapi.json").json()["paths"]
    failed = []
    for path, operations in paths.items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for tried in filter(_is_text, parameters):
                url = path
                for p in parameters:
                    if p["in"] == "path":
                        # Ids that name no row, so no request changes the world under the next.
                        value = SUPERSCRIPT_ONE if p is tried else "999999"
                        url = url.replace("{" + p["name"] + "}", value)
                query = {tried["name"]: SUPERSCRIPT_ONE} if tried["in"] == "query" else {}
                response = client.request(method, url, params=query, headers=headers, json={})
                if response.status_code >= 500:
                    failed.append(f"{method.upper()} {path} ({tried['name']})")
    assert failed == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/incidents", {"service": SUPERSCRIPT_ONE, "title": "Printer on fire"}),
        ("/api/v1/integrations", {"service": SUPERSCRIPT_ONE, "kind": "generic"}),
        ("/api/v1/maintenance", {"service": SUPERSCRIPT_ONE, "reason": "patching"}),
    ],
)
def test_no_body_fails_on_it(
    client: TestClient, session: Session, clock: FakeClock, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body, headers=_admin(client, session, clock))
    assert (response.status_code, response.json()["field"]) == (422, "service")


def test_a_ping_action_of_such_digits_is_no_server_error(client: TestClient) -> None:
    assert client.get(f"{PING}/{SUPERSCRIPT_ONE}").status_code == 400


@pytest.mark.parametrize("path", ["/services/¹", "/departments/¹", "/services/" + "9" * 5000])
def test_no_page_fails_on_it(
    client: TestClient, session: Session, clock: FakeClock, path: str
) -> None:
    login(client, make_user(session, clock))
    assert client.get(path).status_code == 404
