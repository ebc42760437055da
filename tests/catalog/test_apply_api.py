from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.lib.clock import FakeClock
from tests.factories import make_token, make_user

CATALOG = b"services:\n  - slug: app-server\n    name: Clinical app server\n    tier: 1\n"


def _bearer(session: Session, clock: FakeClock, role: Role) -> dict[str, str]:
    user = make_user(session, clock, role=role)
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


def test_it_applies_a_catalog_file_posted_by_an_admin(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = {**_bearer(session, clock, Role.ADMIN), "Content-Type": "application/yaml"}
    dry = client.post("/api/v1/catalog/apply?dry_run=true", content=CATALOG, headers=headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["applied"] is False
    assert dry.json()["changes"] == [
        {"action": "create", "kind": "service", "name": "app-server", "details": ["tier 1"]}
    ]
    assert client.get("/api/v1/services/app-server", headers=headers).status_code == 404
    done = client.post("/api/v1/catalog/apply", content=CATALOG, headers=headers)
    assert done.json()["applied"] is True
    again = client.post("/api/v1/catalog/apply", content=CATALOG, headers=headers)
    assert again.json()["summary"] == "No changes: Takepoint already matches catalog.yaml."
    exported = client.get("/api/v1/catalog/export", headers=headers)
    assert exported.headers["content-type"].startswith("application/yaml")
    assert "slug: app-server" in exported.text


def test_it_returns_each_problem_with_its_line(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = {**_bearer(session, clock, Role.ADMIN), "Content-Type": "application/yaml"}
    response = client.post(
        "/api/v1/catalog/apply?filename=ci.yaml",
        content=CATALOG + b"    ownr: priya\n",
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["problems"] == [{"line": 5, "message": "unknown field 'ownr'"}]
    assert response.json()["detail"].startswith("ci.yaml:5: unknown field 'ownr'")


def test_it_lets_only_admins_apply(client: TestClient, session: Session, clock: FakeClock) -> None:
    headers = {**_bearer(session, clock, Role.RESPONDER), "Content-Type": "application/yaml"}
    response = client.post("/api/v1/catalog/apply", content=CATALOG, headers=headers)
    assert response.status_code == 403
