from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from takepoint.incidents import policies
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident, IncidentSource, IncidentState, TargetKind
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import NotificationState, Urgency
from takepoint.timeline.chain import entries
from takepoint.timeline.models import EntryKind
from tests.incidents.world import World, build_world, notified, paging_engine


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def _open(db: Database, world: World, clock: FakeClock, urgency: Urgency = Urgency.HIGH) -> int:
    with db.session() as s:
        incident = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="App server not responding",
            urgency=urgency,
            source=IncidentSource.PHONE,
            caller_name="Theatre charge nurse",
            reporter=s.merge(world.sam),
            now=clock.now(),
        )
        return incident.id


def test_it_pages_the_on_call_person_at_once(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _open(db, world, clock)
    paging_engine(db, clock).run_cycle()
    pages = notified(session, world.sam)
    assert [n.incident_id for n in pages] == [incident_id]
    assert pages[0].due_at == clock.now()
    assert "App server not responding" in pages[0].subject
    assert "/act/" in pages[0].body
    assert notified(session, world.lee) == []


def test_it_pages_the_backup_lead_after_five_quiet_minutes(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _open(db, world, clock)
    engine = paging_engine(db, clock)
    engine.run_cycle()
    clock.advance(timedelta(minutes=4, seconds=59))
    engine.run_cycle()
    assert notified(session, world.lee) == []
    clock.advance(timedelta(seconds=1))
    engine.run_cycle()
    assert [n.incident_id for n in notified(session, world.lee)] == [incident_id]
    texts = [e.text for e in entries(session, f"incident:{incident_id}")]
    assert "Paged Sam Okafor (level 1: on call for Hospital IT weekly)" in texts
    assert "Paged Lee Chen (level 2: the service's backup lead)" in texts


def test_it_stops_paging_once_someone_acknowledges(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _open(db, world, clock)
    engine = paging_engine(db, clock)
    engine.run_cycle()
    with db.session() as s:
        incidents.acknowledge(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(world.sam),
            now=clock.now(),
        )
    clock.advance(timedelta(minutes=10))
    engine.run_cycle()
    assert notified(session, world.lee) == []
    incident = session.get(Incident, incident_id)
    assert incident is not None
    assert (incident.state, incident.point_user_id) == (IncidentState.ACKNOWLEDGED, world.sam.id)


def test_it_records_nobody_on_call_and_moves_on_at_once(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    with db.session() as s:
        policy = policies.get_policy(s, world.policy.id)
        empty = s.merge(world.schedule)
        empty.layers.clear()
        policies.update_policy(s, policy=policy, repeat=0)
    incident_id = _open(db, world, clock)
    paging_engine(db, clock).run_cycle()
    texts = [e.text for e in entries(session, f"incident:{incident_id}")]
    assert any(
        t.startswith("Nobody to page for on call for Hospital IT weekly at level 1") for t in texts
    )
    assert [n.incident_id for n in notified(session, world.lee)] == [incident_id]


def test_it_follows_the_policy_as_it_stood_when_the_incident_opened(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _open(db, world, clock)
    with db.session() as s:
        policies.update_policy(
            s,
            policy=policies.get_policy(s, world.policy.id),
            levels=[
                policies.LevelSpec(1, [policies.TargetSpec(TargetKind.USER, user_id=world.dana.id)])
            ],
        )
    engine = paging_engine(db, clock)
    engine.run_cycle()
    assert notified(session, world.dana) == []
    assert [n.incident_id for n in notified(session, world.sam)] == [incident_id]


def test_it_nudges_then_escalates_an_acknowledged_incident_without_progress(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    incident_id = _open(db, world, clock)
    engine = paging_engine(db, clock)
    engine.run_cycle()
    with db.session() as s:
        incidents.acknowledge(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(world.sam),
            now=clock.now(),
        )
    clock.advance(timedelta(minutes=20))
    with db.session() as s:
        incidents.add_note(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(world.sam),
            text="Reading logs",
            now=clock.now(),
        )
    clock.advance(timedelta(minutes=29))
    engine.run_cycle()
    assert len(notified(session, world.sam)) == 1  # only the first page so far
    clock.advance(timedelta(minutes=1))
    engine.run_cycle()
    nudges = [n for n in notified(session, world.sam) if n.group_key.startswith("nudge:")]
    assert len(nudges) == 1
    assert notified(session, world.dana) == []
    clock.advance(timedelta(minutes=10))
    engine.run_cycle()
    assert [n.incident_id for n in notified(session, world.dana)] == [incident_id]
    assert [n.incident_id for n in notified(session, world.lee)] == [incident_id]
    kinds = [e.kind for e in entries(session, f"incident:{incident_id}")]
    assert EntryKind.NUDGE in kinds


def test_it_waits_for_business_hours_for_low_urgency(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    clock.set(clock.now().replace(hour=22))  # Monday 22:00 UTC
    with db.session() as s:
        policies.set_service_paging(
            s,
            service=s.merge(world.app_server),
            policy=policies.get_policy(s, world.policy.id),
            business_zone="Europe/London",
        )
    incident_id = _open(db, world, clock, urgency=Urgency.LOW)
    engine = paging_engine(db, clock)
    engine.run_cycle()
    assert notified(session, world.sam) == []
    clock.set(clock.now().replace(hour=7, minute=59) + timedelta(days=1))
    engine.run_cycle()
    assert notified(session, world.sam) == []
    clock.advance(timedelta(minutes=1))
    engine.run_cycle()
    assert [n.incident_id for n in notified(session, world.sam)] == [incident_id]


def test_it_cancels_later_rule_steps_when_acknowledged(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    from takepoint.notify import contacts
    from takepoint.notify.models import ContactKind

    with db.session() as s:
        sam = s.merge(world.sam)
        email = contacts.add_contact_method(
            s,
            user=sam,
            kind=ContactKind.EMAIL,
            label="work",
            target="sam@example.org",
            now=clock.now(),
        )
        sms = contacts.add_contact_method(
            s,
            user=sam,
            kind=ContactKind.APPRISE,
            label="phone",
            target="json://127.0.0.1:9/",
            now=clock.now(),
        )
        contacts.add_rule(
            s,
            user=sam,
            urgency=Urgency.HIGH,
            contact_method=email,
            delay_minutes=0,
            now=clock.now(),
        )
        contacts.add_rule(
            s, user=sam, urgency=Urgency.HIGH, contact_method=sms, delay_minutes=2, now=clock.now()
        )
    incident_id = _open(db, world, clock)
    paging_engine(db, clock).run_cycle()
    with db.session() as s:
        incidents.acknowledge(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=s.merge(world.sam),
            now=clock.now(),
        )
    # Nothing was sent yet (no delivery ran), so both steps stop: the page is answered.
    later = [n for n in notified(session, world.sam) if n.due_at > clock.now()]
    assert [n.state for n in later] == [NotificationState.CANCELLED]
    assert all(n.state is NotificationState.CANCELLED for n in notified(session, world.sam))
