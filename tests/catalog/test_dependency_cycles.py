from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog import service as catalog
from takepoint.catalog.graph import find_cycle
from takepoint.lib.clock import FakeClock
from tests.catalog.factories import make_service
from tests.factories import login, make_user


def test_it_finds_the_cycle_and_spells_it_out() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"app-server": {"txn-server"}, "txn-server": {"app-server"}}) == [
        "app-server",
        "txn-server",
        "app-server",
    ]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"x": {"b"}, "b": {"c"}, "c": {"b"}}) == ["b", "c", "b"]


def test_it_refuses_a_cycle_in_the_api_and_names_it(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = {"X-CSRF-Token": login(client, make_user(session, clock, role=Role.ADMIN))}
    txn = make_service(session, clock, slug="txn-server")
    app = make_service(session, clock, slug="app-server", depends_on=[txn])
    response = client.post(
        "/api/v1/services/txn-server/dependencies",
        json={"depends_on_service_id": app.id},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "that would make a dependency cycle: app-server → txn-server → app-server"
    )
    assert client.get("/api/v1/services/txn-server").json()["dependencies"] == []


def test_it_refuses_a_cycle_from_the_edit_page(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    token = login(client, make_user(session, clock, role=Role.ADMIN))
    lab = make_service(session, clock, slug="lab")
    txn = make_service(session, clock, slug="txn-server", depends_on=[lab])
    app = make_service(session, clock, slug="app-server", depends_on=[txn])
    response = client.post(
        "/services/lab/dependencies",
        data={"target": f"service:{app.id}", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "app-server → txn-server → lab → app-server" in response.text


def test_it_draws_what_a_service_needs_and_what_needs_it(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.VIEWER))
    txn = make_service(session, clock, slug="txn-server", name="Transaction server")
    catalog.add_host(session, service=txn, hostname="txn-01")
    app = make_service(session, clock, slug="app-server", name="Clinical app", depends_on=[txn])
    make_service(session, clock, slug="lab", name="Lab interface", depends_on=[app])
    drawn = client.get("/api/v1/services/app-server/graph").json()
    depths = {n["key"]: n["depth"] for n in drawn["nodes"]}
    assert depths == {"service:txn-server": -1, "service:app-server": 0, "service:lab": 1}
    assert ["service:app-server", "service:txn-server"] in drawn["edges"]
    assert ["service:lab", "service:app-server"] in drawn["edges"]
    page = client.get("/services/app-server")
    assert "<svg" in page.text
    assert "Transaction server" in page.text
    assert "Lab interface" in page.text
