"""`escalation.escalate`: the one escalation step, taken by the engine's claim or by triage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from takepoint.engine import escalate as escalate_job
from takepoint.incidents import escalation
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import bind
from takepoint.lib.db import Database
from takepoint.notify.models import Notification
from takepoint.timeline.chain import entries
from tests.factories import db_context
from tests.incidents.world import World, build_world, notified, phone_incident


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def _step(db: Database, incident_id: int, clock: FakeClock) -> None:
    with db.session() as s:
        incident = s.get_one(Incident, incident_id)
        escalation.escalate(s, incident=incident, now=clock.now())


def _keys(session: Session, world_user: object) -> list[str]:
    return [n.key.split(":")[0] for n in notified(session, world_user)]  # type: ignore[arg-type]


def test_it_pages_each_level_of_a_triggered_incident_in_turn(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident = phone_incident(session, clock, world)
    _step(db, incident.id, clock)
    session.refresh(incident)
    assert _keys(session, world.sam) == ["page"]
    assert (incident.level_index, incident.next_escalation_at) == (
        1,
        clock.now() + timedelta(minutes=5),
    )
    _step(db, incident.id, clock)
    assert _keys(session, world.lee) == ["page"]


def test_it_reminds_a_quiet_point_person_then_pages_the_next_level_and_team_lead(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident = phone_incident(session, clock, world)
    _step(db, incident.id, clock)
    with db.session() as s:
        mine = s.get_one(Incident, incident.id)
        incidents.acknowledge(s, incident=mine, user=s.merge(world.sam), now=clock.now())
    session.execute(delete(Notification))
    _step(db, incident.id, clock)
    session.refresh(incident)
    assert _keys(session, world.sam) == ["nudge"]
    assert incident.next_nudge_at == clock.now() + escalation.NUDGE_GRACE
    _step(db, incident.id, clock)
    session.refresh(incident)
    # Level 1 was paged before the acknowledgement: the next is level 2, the backup lead.
    assert (_keys(session, world.lee), _keys(session, world.dana)) == (["page"], ["page"])
    assert incident.next_nudge_at == clock.now() + timedelta(minutes=30)


def test_it_follows_a_snapshot_as_an_older_version_stored_it(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident = phone_incident(session, clock, world)
    # The default policy as it used to be stored: targets without ids, nudge minutes implied.
    incident.policy_snapshot = {
        "policy_id": None,
        "name": "service leads (no policy set)",
        "levels": [
            {"delay_minutes": 5, "targets": [{"kind": "tech_lead", "label": "the tech lead"}]}
        ],
    }
    session.flush()
    _step(db, incident.id, clock)
    assert _keys(session, world.priya) == ["page"]
    texts = [e.text for e in entries(session, incident.chain)]
    assert "Paged Priya Raman (level 1: the tech lead)" in texts


def test_it_takes_a_due_step_once_however_many_engines_try(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident = phone_incident(session, clock, world)
    _step(db, incident.id, clock)
    clock.advance(timedelta(minutes=5))
    done = []
    for worker in ("engine-a", "engine-b"):
        with db.session() as s:
            done.append(
                escalate_job.run_once(bind(s, db_context(db).for_worker(worker)), clock.now())
            )
    assert done == [1, 0]
    assert _keys(session, world.lee) == ["page"]
