"""The probable-cause panel counts a service's hosts and incidents, at the time of the incident.

Over the demo hospital: the clinical app server depends on the transaction server, whose host
txn-01 has had a critical disk alert open for three hours.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog import service as catalog
from takepoint.demo import load_demo
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident, IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Urgency
from takepoint.signals import alerts
from takepoint.signals.alerts import Action, Signal
from takepoint.signals.integrations import IntegrationRef
from takepoint.signals.models import Alert, Integration, Severity
from tests.incidents.world import paging_engine
from tests.reviews.helpers import person, signed_in

DISK = "disk /var 96% full"
MEMORY = "memory 97% used"


def _suspect(page: str, name: str) -> str:
    panel = page.split('id="cause-h"')[1].split("</section>")[0]
    found = [
        part for part in panel.split('<div class="suspect">') if f"<strong>{name}</strong>" in part
    ]
    assert len(found) == 1, panel
    return found[0]


def _txn_incident(session: Session) -> Incident:
    txn = catalog.get_service(session, "txn-server")
    incident = session.scalar(select(Incident).where(Incident.service_id == txn.id))
    assert incident is not None
    return incident


def _app_server_incident(db: Database, clock: FakeClock) -> int:
    with db.session() as s:
        return incidents.open_incident(
            s,
            service=catalog.get_service(s, "app-server"),
            title="Clinical app server slow on ward 7",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        ).id


def test_it_shows_a_service_in_trouble_when_its_host_has_an_alert_and_it_has_an_incident(
    db: Database, client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    paging_engine(db, clock).run_cycle()  # the disk alert opens an incident of its own
    txn_incident = _txn_incident(session)
    incident_id = _app_server_incident(db, clock)
    viewer, _ = signed_in(client, session, "morgan")

    page = viewer.get(f"/incidents/{incident_id}").text

    transaction_server = _suspect(page, "Transaction server")
    assert '<span class="badge bad">trouble</span>' in transaction_server
    assert "On txn-01: <a href" in transaction_server and DISK in transaction_server
    assert f'<a href="/incidents/{txn_incident.id}">#{txn_incident.id} ' in transaction_server


def test_it_shows_a_resolved_incident_with_what_was_open_during_it_not_today(
    db: Database, client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    paging_engine(db, clock).run_cycle()
    txn_incident_id = _txn_incident(session).id
    incident_id = _app_server_incident(db, clock)
    clock.advance(timedelta(minutes=30))
    with db.session() as s:
        dana = s.merge(person(session, "dana"))
        incidents.acknowledge(
            s, incident=incidents.get_incident(s, incident_id), user=dana, now=clock.now()
        )
        incidents.resolve(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=dana,
            note="Freed /var on txn-01.",
            now=clock.now(),
        )
    # Afterwards the disk alert and its incident are closed, and a new alert arrives.
    clock.advance(timedelta(minutes=15))
    with db.session() as s:
        dana = s.merge(person(session, "dana"))
        disk = s.scalar(select(Alert).where(Alert.summary == DISK))
        assert disk is not None
        alerts.resolve(s, alert_id=disk.id, user=dana, now=clock.now())
        incidents.resolve(
            s,
            incident=incidents.get_incident(s, txn_incident_id),
            user=dana,
            note="Log rotation fixed.",
            now=clock.now(),
        )
        integration = s.scalars(
            select(Integration).where(Integration.id == disk.integration_id)
        ).one()
        ref = IntegrationRef(integration.id, integration.service_id, integration.kind, {})
    clock.advance(timedelta(hours=1))
    memory = Signal(
        action=Action.TRIGGER,
        dedup_key="txn-01-memory",
        summary=MEMORY,
        severity=Severity.WARNING,
        source="txn-01",
        labels={"instance": "txn-01"},
    )
    with db.session() as s:
        alerts.apply_signals(s, integration=ref, signals=[memory], now=clock.now())
    viewer, _ = signed_in(client, session, "morgan")

    page = viewer.get(f"/incidents/{incident_id}").text
    story = viewer.get("/incidents/1").text  # the 07:40 night, three days ago

    transaction_server = _suspect(page, "Transaction server")
    assert '<span class="badge bad">trouble</span>' in transaction_server
    assert DISK in transaction_server
    assert f'<a href="/incidents/{txn_incident_id}">' in transaction_server
    assert MEMORY not in page
    # Three days ago nothing warned about txn-01: today's disk alert was not there.
    assert DISK not in story.split('id="cause-h"')[1].split("</section>")[0]
    assert '<span class="badge ok">quiet</span>' in _suspect(story, "txn-01")
