from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.incidents import service as incidents
from takepoint.incidents.models import Handoff, HandoffState, Incident, IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.errors import PermissionDenied
from takepoint.notify.models import Urgency
from takepoint.timeline.chain import entries
from tests.factories import login
from tests.incidents.world import World, build_world, notified


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def _acknowledged(db: Database, world: World, clock: FakeClock) -> int:
    with db.session() as s:
        incident = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="App server not responding",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            reporter=s.merge(world.sam),
            now=clock.now(),
        )
        incidents.acknowledge(s, incident=incident, user=s.merge(world.lee), now=clock.now())
        return incident.id


def test_it_keeps_the_giver_as_point_until_the_receiver_accepts(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _acknowledged(db, world, clock)
    with db.session() as s:
        handoff = incidents.request_handoff(
            s,
            incident=incidents.get_incident(s, incident_id),
            giver=s.merge(world.lee),
            receiver=s.merge(world.priya),
            note="you know this box",
            now=clock.now(),
        )
        handoff_id = handoff.id
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.point_user_id == world.lee.id
    assert [n.group_key for n in notified(session, world.priya)] == [f"handoff:{handoff_id}"]
    with db.session() as s:
        incidents.decide_handoff(
            s,
            handoff=incidents.get_handoff(s, handoff_id),
            user=s.merge(world.priya),
            accept=True,
            now=clock.now(),
        )
    session.expire_all()
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.point_user_id == world.priya.id
    texts = [e.text for e in entries(session, f"incident:{incident_id}")]
    assert "Lee Chen asked Priya Raman to take point: you know this box" in texts
    assert "Priya Raman accepted point from Lee Chen" in texts
    # The previous point person hears that point moved.
    assert any(n.group_key.startswith("loop:") for n in notified(session, world.lee))


def test_it_refuses_a_handoff_accepted_by_someone_else(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _acknowledged(db, world, clock)
    with db.session() as s:
        handoff_id = incidents.request_handoff(
            s,
            incident=incidents.get_incident(s, incident_id),
            giver=s.merge(world.lee),
            receiver=s.merge(world.priya),
            note="",
            now=clock.now(),
        ).id
    with pytest.raises(PermissionDenied, match="only the person asked"), db.session() as s:
        incidents.decide_handoff(
            s,
            handoff=incidents.get_handoff(s, handoff_id),
            user=s.merge(world.sam),
            accept=True,
            now=clock.now(),
        )
    handoff = session.scalars(select(Handoff)).one()
    assert handoff.state is HandoffState.PENDING


def test_it_lets_anyone_take_point_and_tells_the_previous_one(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _acknowledged(db, world, clock)
    with db.session() as s:
        incidents.take_point(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(world.dana),
            now=clock.now(),
        )
    texts = [e.text for e in entries(session, f"incident:{incident_id}")]
    assert "Dana Whitfield took point from Lee Chen" in texts
    assert any(n.group_key.startswith("loop:") for n in notified(session, world.lee))


def test_it_requires_a_resolution_note(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _acknowledged(db, world, clock)
    csrf = login(client, world.lee)
    response = client.post(
        f"/api/v1/incidents/{incident_id}/resolve",
        json={"note": "   "},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "resolution_note"
    session.expire_all()
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.resolved_at is None


def test_it_closes_the_loop_with_owners_reporter_and_subscribers(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _acknowledged(db, world, clock)
    with db.session() as s:
        incidents.subscribe(
            s,
            user=s.merge(world.morgan),
            incident=incidents.get_incident(s, incident_id),
            now=clock.now(),
        )
        incidents.resolve(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(world.lee),
            note="Freed disk on txn-01",
            now=clock.now(),
        )
    for person in (world.priya, world.sam, world.morgan):
        summaries = [n for n in notified(session, person) if n.group_key.startswith("loop:")]
        assert len(summaries) == 1, person.display_name
        assert "Resolution: Freed disk on txn-01" in summaries[0].body
    texts = [e.text for e in entries(session, f"incident:{incident_id}")]
    assert "Resolved by Lee Chen: Freed disk on txn-01" in texts
    assert any(t.startswith("Summary sent to Priya Raman") for t in texts)


def test_it_lets_a_viewer_read_but_not_act(
    client: TestClient, db: Database, clock: FakeClock, world: World
) -> None:
    incident_id = _acknowledged(db, world, clock)
    csrf = login(client, world.morgan)
    assert client.get(f"/incidents/{incident_id}").status_code == 200
    response = client.post(
        f"/api/v1/incidents/{incident_id}/notes",
        json={"text": "hello"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403
