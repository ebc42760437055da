from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.incidents.models import Incident, IncidentState
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from tests.incidents.world import World, build_world, page_sam


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def test_it_only_shows_the_incident_when_the_link_is_opened(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    paged = page_sam(db, session, clock, world)
    incident_id, path = paged.incident_id, paged.acknowledge
    page = client.get(path)  # what a mail scanner does
    assert page.status_code == 200
    assert "Confirm: acknowledge" in page.text
    session.expire_all()
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.state is IncidentState.TRIGGERED


def test_it_acknowledges_as_the_paged_person_on_confirm(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    paged = page_sam(db, session, clock, world)
    incident_id, path = paged.incident_id, paged.acknowledge
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
    path = page_sam(db, session, clock, world).acknowledge
    altered = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert altered.status_code == 400
    assert "not valid" in altered.text
    clock.advance(timedelta(hours=25))
    expired = client.get(path)
    assert expired.status_code == 410
    assert "expired" in expired.text
