from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog import service as catalog
from takepoint.lib.clock import FakeClock
from tests.catalog.factories import make_department, make_service
from tests.factories import login, make_user


def test_it_finds_a_service_by_search_and_filters(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.VIEWER))
    txn = make_service(session, clock, slug="txn-server", name="Transaction server", tier=1)
    catalog.add_host(session, service=txn, hostname="txn-01")
    session.commit()
    make_service(session, clock, slug="email", name="Email", tier=3)
    found = client.get("/services", params={"q": "txn-01"}).text
    assert "Transaction server" in found
    assert "Email" not in found
    tier_three = client.get("/services", params={"tier": "3"}).text
    assert "Email" in tier_three
    assert "Transaction server" not in tier_three
    not_ready = client.get("/services", params={"grade": "bad"}).text
    assert "Transaction server" in not_ready  # tier 1 with no lead at all


def test_it_shows_owners_departments_and_when_not_to_disrupt(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.VIEWER))
    priya = make_user(session, clock, name="Priya Raman")
    app = make_service(session, clock, slug="app-server", name="Clinical app", tech_lead=priya)
    catalog.set_service_departments(
        session, service=app, departments=[make_department(session, clock)], now=clock.now()
    )
    session.commit()
    page = client.get("/services/app-server").text
    assert "Priya Raman" in page
    assert "only Priya Raman knows this service" in page
    assert "Theatre in session 07:30-18:00" in page
    assert "Charge nurse" in page


def test_it_lets_an_admin_add_a_service_from_the_form(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    token = login(client, make_user(session, clock, role=Role.ADMIN))
    lead = make_user(session, clock, name="Lee Chen")
    created = client.post(
        "/services",
        data={
            "csrf_token": token,
            "slug": "pacs",
            "name": "PACS",
            "tier": "2",
            "tech_lead_id": str(lead.id),
            "stores_data": "true",
        },
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"].startswith("/services/pacs")
    assert "Lee Chen" in client.get("/services/pacs").text


def test_it_keeps_what_was_typed_when_the_form_is_refused(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    token = login(client, make_user(session, clock, role=Role.ADMIN))
    lead = make_user(session, clock)
    refused = client.post(
        "/services",
        data={
            "csrf_token": token,
            "slug": "pacs",
            "name": "Image archive",
            "tier": "2",
            "tech_lead_id": str(lead.id),
            "backup_lead_id": str(lead.id),
        },
    )
    assert refused.status_code == 422
    assert "a backup who is the same person is no backup" in refused.text
    assert 'value="Image archive"' in refused.text
    assert client.get("/services/pacs").status_code == 404


def test_it_shows_a_plain_not_found_page(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.VIEWER))
    response = client.get("/services/no-such-service")
    assert response.status_code == 404
    assert "no service 'no-such-service'" in html.unescape(response.text)


def test_it_refuses_edits_to_responders_and_viewers(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    make_service(session, clock, slug="app")
    token = login(client, make_user(session, clock, role=Role.RESPONDER))
    assert client.get("/services/app/edit").status_code == 403
    refused = client.post("/services/app/hosts", data={"csrf_token": token, "hostname": "x-01"})
    assert refused.status_code == 403


def test_it_adds_a_department_contact_that_the_service_page_shows(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    token = login(client, make_user(session, clock, role=Role.ADMIN))
    client.post(
        "/departments",
        data={
            "csrf_token": token,
            "slug": "radiology",
            "name": "Radiology",
            "do_not_disrupt": "Scanning 08:00-20:00",
        },
    )
    added = client.post(
        "/departments/radiology/contacts",
        data={
            "csrf_token": token,
            "name": "Duty manager",
            "phone": "+44 20 7946 0230",
            "hours": "08:00-20:00",
        },
    )
    assert added.status_code == 303
    page = client.get("/departments/radiology").text
    assert "Duty manager" in page
    assert 'href="tel:+442079460230"' in page
