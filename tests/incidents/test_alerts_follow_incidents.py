"""An alert and the incident it became part of say the same thing: the alert's page and the
alerts list link to the incident, acknowledging the incident acknowledges its alerts, and
Home counts as open only the alerts nobody owns."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.signals.models import Alert, AlertState, IntegrationKind
from tests.factories import login
from tests.incidents.world import World, build_world, paging_engine
from tests.signals.conftest import make_integration


def _alert_in_an_incident(
    client: TestClient, db: Database, session: Session, clock: FakeClock
) -> tuple[World, Alert, Incident]:
    world = build_world(session, clock)
    _, key = make_integration(session, clock, world.app_server, IntegrationKind.PAGERDUTY)
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "disk /var 96% full", "source": "txn-01", "severity": "critical"},
    }
    assert client.post("/v2/enqueue", json=event).status_code == 202
    paging_engine(db, clock).run_cycle()  # triage places the alert in an incident
    session.expire_all()
    alert = session.scalars(select(Alert)).one()
    incident = session.scalars(select(Incident)).one()
    return world, alert, incident


def test_the_alert_page_and_list_link_to_the_incident(
    client: TestClient, db: Database, session: Session, clock: FakeClock
) -> None:
    world, alert, incident = _alert_in_an_incident(client, db, session, clock)
    login(client, world.morgan)
    link = f'<a href="/incidents/{incident.id}">#{incident.id} '
    assert link in client.get(f"/alerts/{alert.id}").text
    listed = client.get("/alerts").text
    assert '<th scope="col">Incident</th>' in listed and link in listed


def test_acknowledging_the_incident_acknowledges_its_alerts_and_home_agrees(
    client: TestClient, db: Database, session: Session, clock: FakeClock
) -> None:
    world, alert, incident = _alert_in_an_incident(client, db, session, clock)
    login(client, world.sam)
    assert "1 open alert" in client.get("/").text
    with db.session() as s:
        incidents.acknowledge(
            s,
            incident=incidents.get_incident(s, incident.id),
            user=s.merge(world.sam),
            now=clock.now(),
        )
    session.expire_all()
    acknowledged = session.get(Alert, alert.id)
    assert acknowledged is not None and acknowledged.state is AlertState.ACKNOWLEDGED
    assert acknowledged.acknowledged_at == clock.now()
    home = client.get("/").text
    assert "open alert" not in home
    assert "1 acknowledged" in home
