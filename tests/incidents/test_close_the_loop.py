"""Closing the loop tells the people who worked the incident, not the one who just acted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Notification, Urgency
from takepoint.timeline.chain import entries
from tests.incidents.world import World, build_world, notified

FIX = "Freed /var on txn-01"


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def _summaries(session: Session, user: User) -> list[Notification]:
    return [n for n in notified(session, user) if n.group_key.startswith("loop:")]


def _handed_to_dana(db: Database, world: World, clock: FakeClock) -> int:
    """Sam acknowledges, notes and hands off to Dana, who accepts. Dana, the team lead,
    follows the app server."""
    with db.session() as s:
        sam, dana = s.merge(world.sam), s.merge(world.dana)
        incidents.subscribe(s, user=dana, service=s.merge(world.app_server), now=clock.now())
        incident = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="App server not responding",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        )
        incidents.acknowledge(s, incident=incident, user=sam, now=clock.now())
        incidents.add_note(
            s, incident=incident, user=sam, text="Logs show txn timeouts.", now=clock.now()
        )
        handoff = incidents.request_handoff(
            s, incident=incident, giver=sam, receiver=dana, note="", now=clock.now()
        )
        clock.advance(timedelta(minutes=2))
        incidents.decide_handoff(s, handoff=handoff, user=dana, accept=True, now=clock.now())
        return incident.id


def _resolve(db: Database, clock: FakeClock, incident_id: int, user: User) -> None:
    clock.advance(timedelta(minutes=20))
    with db.session() as s:
        incidents.resolve(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(user),
            note=FIX,
            now=clock.now(),
        )


def test_it_tells_the_previous_point_person_and_not_the_resolver(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _handed_to_dana(db, world, clock)
    _resolve(db, clock, incident_id, world.dana)

    resolved = [n for n in _summaries(session, world.sam) if f"Resolution: {FIX}" in n.body]
    assert len(resolved) == 1
    assert "State: resolved" in resolved[0].body
    assert _summaries(session, world.dana) == []
    told = [
        e for e in entries(session, f"incident:{incident_id}") if e.kind.value == "close_the_loop"
    ]
    assert world.sam.id in told[-1].data["user_ids"]
    assert world.dana.id not in told[-1].data["user_ids"]


def test_it_tells_the_point_person_when_someone_else_resolves(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _handed_to_dana(db, world, clock)
    _resolve(db, clock, incident_id, world.lee)

    def heard_of_the_fix(person: User) -> bool:
        return any(f"Resolution: {FIX}" in n.body for n in _summaries(session, person))

    assert heard_of_the_fix(world.dana)
    assert heard_of_the_fix(world.sam)
    assert heard_of_the_fix(world.priya)
    assert not heard_of_the_fix(world.lee)  # the backup lead resolved it
