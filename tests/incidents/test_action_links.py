from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident, IncidentSource, IncidentState
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.incidents.world import World, build_world, notified, paging_engine


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def _paged_link(db: Database, session: Session, clock: FakeClock, world: World) -> tuple[int, str]:
    from takepoint.notify.models import Urgency

    with db.session() as s:
        incident_id = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="Theatre app down",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        ).id
    paging_engine(db, clock).run_cycle()
    body = notified(session, world.sam)[0].body
    match = re.search(r"Acknowledge: http://testserver(/act/\S+)", body)
    assert match, body
    return incident_id, match.group(1)


def test_it_only_shows_the_incident_when_the_link_is_opened(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id, path = _paged_link(db, session, clock, world)
    page = client.get(path)  # what a mail scanner does
    assert page.status_code == 200
    assert "Confirm: acknowledge" in page.text
    session.expire_all()
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.state is IncidentState.TRIGGERED


def test_it_acknowledges_as_the_paged_person_on_confirm(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id, path = _paged_link(db, session, clock, world)
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    done = client.post(path, data={"csrf_token": token.group(1)})
    assert done.status_code == 200
    assert "Sam Okafor is the point person" in done.text
    session.expire_all()
    incident = session.get(Incident, incident_id)
    assert incident is not None
    assert (incident.state, incident.point_user_id) == (IncidentState.ACKNOWLEDGED, world.sam.id)


def test_it_refuses_an_expired_or_altered_link(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    _, path = _paged_link(db, session, clock, world)
    altered = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert altered.status_code == 400
    assert "not valid" in altered.text
    clock.advance(timedelta(hours=25))
    expired = client.get(path)
    assert expired.status_code == 410
    assert "expired" in expired.text
