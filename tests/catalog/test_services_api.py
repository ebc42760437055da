from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.catalog.factories import make_department, make_service
from tests.factories import login, make_user


def _admin(client: TestClient, session: Session, clock: FakeClock) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, make_user(session, clock, role=Role.ADMIN))}


def test_it_creates_a_service_with_owners_and_shows_it(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    priya = make_user(session, clock, name="Priya Raman")
    lee = make_user(session, clock, name="Lee Chen")
    theatres = make_department(session, clock)
    created = client.post(
        "/api/v1/services",
        json={
            "slug": "app-server",
            "name": "Clinical app server",
            "tier": 1,
            "tech_lead_id": priya.id,
            "backup_lead_id": lee.id,
            "department_ids": [theatres.id],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = client.get("/api/v1/services/app-server").json()
    assert body["tech_lead"]["display_name"] == "Priya Raman"
    assert body["backup_lead"]["display_name"] == "Lee Chen"
    assert body["departments"][0]["do_not_disrupt"] == "Theatre in session 07:30-18:00"
    assert body["departments"][0]["contacts"][0]["name"] == "Charge nurse"
    assert client.get(f"/api/v1/services/{body['id']}").json()["slug"] == "app-server"


def test_it_refuses_a_backup_lead_who_is_the_tech_lead(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    priya = make_user(session, clock)
    response = client.post(
        "/api/v1/services",
        json={"slug": "app", "name": "App", "tech_lead_id": priya.id, "backup_lead_id": priya.id},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "backup_lead"
    assert client.get("/api/v1/services/app").status_code == 404


def test_it_names_the_field_of_a_bad_slug_or_tier(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    bad_slug = client.post(
        "/api/v1/services", json={"slug": "App Server", "name": "x"}, headers=headers
    )
    assert bad_slug.status_code == 422
    assert bad_slug.json()["field"] == "slug"
    bad_tier = client.post(
        "/api/v1/services", json={"slug": "app", "name": "x", "tier": 9}, headers=headers
    )
    assert bad_tier.status_code == 422
    assert bad_tier.json()["field"] == "tier"


def test_it_clears_a_lead_with_null_and_leaves_other_fields(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    lead, backup = make_user(session, clock), make_user(session, clock)
    make_service(session, clock, slug="pacs", tech_lead=lead, backup_lead=backup, tier=2)
    response = client.patch("/api/v1/services/pacs", json={"backup_lead_id": None}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["backup_lead"] is None
    assert response.json()["tech_lead"]["id"] == lead.id
    assert response.json()["tier"] == 2


def test_it_finds_services_by_name_or_host(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    make_service(session, clock, slug="txn-server", name="Transaction server")
    make_service(session, clock, slug="email", name="Email")
    client.post("/api/v1/services/txn-server/hosts", json={"hostname": "TXN-01"}, headers=headers)
    by_host = client.get("/api/v1/services", params={"q": "txn-01"}).json()
    assert [s["slug"] for s in by_host] == ["txn-server"]
    by_name = client.get("/api/v1/services", params={"q": "mail"}).json()
    assert [s["slug"] for s in by_name] == ["email"]


def test_it_keeps_hostnames_unique_across_services(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    make_service(session, clock, slug="a")
    make_service(session, clock, slug="b")
    assert (
        client.post(
            "/api/v1/services/a/hosts", json={"hostname": "db-01"}, headers=headers
        ).status_code
        == 201
    )
    taken = client.post("/api/v1/services/b/hosts", json={"hostname": "db-01"}, headers=headers)
    assert taken.status_code == 409
    assert "already belongs to a" in taken.json()["detail"]


def test_it_refuses_links_that_could_run_script(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    make_service(session, clock, slug="app")
    response = client.post(
        "/api/v1/services/app/links",
        json={"title": "Docs", "url": "javascript:alert(1)"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "url"


def test_it_refuses_to_delete_a_service_others_depend_on(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    txn = make_service(session, clock, slug="txn-server")
    make_service(session, clock, slug="app-server", depends_on=[txn])
    refused = client.delete("/api/v1/services/txn-server", headers=headers)
    assert refused.status_code == 409
    assert "app-server depends on txn-server" in refused.json()["detail"]
    assert client.delete("/api/v1/services/app-server", headers=headers).status_code == 204
    assert client.delete("/api/v1/services/txn-server", headers=headers).status_code == 204


def test_it_lets_a_responder_read_but_not_change_services(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    token = login(client, make_user(session, clock, role=Role.RESPONDER))
    assert client.get("/api/v1/services/app").status_code == 200
    refused = client.patch(
        "/api/v1/services/app", json={"tier": 1}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403


def test_it_manages_departments_and_their_contacts(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    headers = _admin(client, session, clock)
    created = client.post(
        "/api/v1/departments",
        json={
            "slug": "radiology",
            "name": "Radiology",
            "do_not_disrupt": "Scanning 08:00-20:00",
            "contacts": [
                {"name": "Duty manager", "phone": "+44 20 7946 0230", "email": "RAD@x.org"}
            ],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["contacts"][0]["email"] == "rad@x.org"
    updated = client.patch(
        "/api/v1/departments/radiology",
        json={"contacts": [{"name": "Superintendent", "hours": "24/7"}]},
        headers=headers,
    )
    assert [c["name"] for c in updated.json()["contacts"]] == ["Superintendent"]
    assert updated.json()["do_not_disrupt"] == "Scanning 08:00-20:00"
