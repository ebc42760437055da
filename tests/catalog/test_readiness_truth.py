"""The readiness findings on a service's page agree with what the same page shows."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog import service as catalog
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import IntegrationKind
from takepoint.signals.service import add_integration
from tests.catalog.factories import make_department, make_service
from tests.factories import login, make_user

_FINDING = re.compile(r'<li class="finding ([a-z-]+)">.*?<strong>(.*?)</strong>: (.*?)</li>', re.S)


def _findings(client: TestClient, slug: str) -> dict[str, tuple[str, str]]:
    """Each check's label on the service page, with its outcome and its message."""
    page = client.get(f"/services/{slug}")
    assert page.status_code == 200
    return {
        html.unescape(label): (outcome, html.unescape(message))
        for outcome, label, message in _FINDING.findall(page.text)
    }


def test_it_fails_the_department_contact_while_one_department_has_none(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.VIEWER))
    app = make_service(session, clock, slug="app-server")
    theatres = make_department(session, clock, slug="theatres")
    wards = make_department(session, clock, slug="wards", with_contact=False)
    catalog.set_service_departments(
        session, service=app, departments=[theatres, wards], now=clock.now()
    )
    session.commit()

    assert "No contact recorded." in client.get("/services/app-server").text
    assert _findings(client, "app-server")["Department contact"] == (
        "fail",
        "no contact recorded for Wards",
    )
    assert "no contact recorded for Wards" in client.get("/readiness").text

    catalog.add_contact(
        session,
        department=wards,
        contact=catalog.ContactInput(name="Ward sister", phone="+44 20 7946 0199"),
        now=clock.now(),
    )
    session.commit()
    assert _findings(client, "app-server")["Department contact"] == (
        "pass",
        "every department it serves has a contact",
    )


def test_it_says_an_integration_exists_but_has_never_sent_a_signal(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock, role=Role.VIEWER))
    make_service(session, clock, slug="quiet")
    assert _findings(client, "quiet")["Monitor or integration"] == (
        "fail",
        "no monitor or integration sends signals for it",
    )

    wired = make_service(session, clock, slug="wired")
    _, key = add_integration(session, service=wired, kind=IntegrationKind.GENERIC, now=clock.now())
    session.commit()
    assert _findings(client, "wired")["Monitor or integration"] == (
        "fail",
        "an integration exists but has never sent a signal",
    )
    assert "an integration exists but has never sent a signal" in client.get("/readiness").text

    client.post(f"/integrations/{key}/generic", json={"summary": "test", "status": "resolved"})
    assert _findings(client, "wired")["Monitor or integration"] == (
        "pass",
        "a monitor or integration sends its signals",
    )
