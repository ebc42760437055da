"""An incident on the app server whose runbook ends with a disruptive reboot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from takepoint.catalog import runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Department, Runbook, StepKind
from takepoint.catalog.runbooks import StepInput
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident, IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import Urgency
from tests.incidents.world import World, build_world


@dataclass
class RebootWorld:
    world: World
    theatres: Department
    runbook: Runbook
    incident: Incident


def reboot_world(session: Session, clock: FakeClock) -> RebootWorld:
    world = build_world(session, clock)
    now = clock.now()
    theatres = catalog.create_department(
        session,
        slug="theatres",
        name="Theatres",
        do_not_disrupt="Theatre in session 07:30-18:00: do not disrupt.",
        now=now,
    )
    catalog.set_contacts(
        session,
        department=theatres,
        contacts=[catalog.ContactInput(name="Theatre charge nurse", phone="+44 20 7946 0102")],
        now=now,
    )
    runbook = runbooks.create_runbook(
        session,
        service=world.app_server,
        title="App not responding",
        body="",
        steps=[
            StepInput(StepKind.CHECK, "Check disk space on `txn-01`."),
            StepInput(StepKind.DISRUPTIVE, "Reboot the app server `app-01`.", theatres),
        ],
        author=world.priya,
        now=now,
    )
    incident = incidents.open_incident(
        session,
        service=world.app_server,
        title="App server not responding in theatres",
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        caller_name="Theatre charge nurse",
        reporter=world.sam,
        now=now,
    )
    incidents.acknowledge(session, incident=incident, user=world.sam, now=now)
    session.commit()
    return RebootWorld(world, theatres, runbook, incident)
