"""Deleting what others still refer to is a 409 naming them, never a foreign-key 500: a
schedule or team an escalation policy pages, a service incidents were opened on. And a policy
level that names nobody is recorded as such when it comes to paging."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.incidents import service as incidents
from takepoint.incidents.models import EscalationLevel, EscalationTarget, IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Urgency
from takepoint.oncall.models import Schedule
from takepoint.timeline.chain import entries
from takepoint.timeline.models import EntryKind
from tests.factories import login, make_token, make_user
from tests.incidents.world import World, build_world, paging_engine


def _admin(session: Session, clock: FakeClock) -> dict[str, str]:
    admin = make_user(session, clock, role=Role.ADMIN, email="admin@example.org")
    return {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.WRITE)}"}


def test_a_schedule_a_policy_pages_is_kept_and_the_policy_named(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    headers = _admin(session, clock)
    response = client.delete(f"/api/v1/schedules/{world.schedule.id}", headers=headers)
    assert response.status_code == 409, response.text
    assert response.json()["field"] == "schedule"
    assert "escalation policy 'Hospital IT'" in response.json()["detail"]
    session.expire_all()
    assert session.get(Schedule, world.schedule.id) is not None
    policy = client.get(f"/api/v1/escalation-policies/{world.policy.id}", headers=headers)
    assert policy.status_code == 200
    assert policy.json()["levels"][0]["targets"][0]["schedule_id"] == world.schedule.id


def test_the_web_page_says_the_same(app: FastAPI, session: Session, clock: FakeClock) -> None:
    world = build_world(session, clock)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    csrf = login(client, make_user(session, clock, role=Role.ADMIN, email="admin@example.org"))
    response = client.post(
        f"/oncall/schedules/{world.schedule.id}/delete", headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 409
    assert "escalation policy &#39;Hospital IT&#39;" in response.text


def test_a_service_with_incidents_is_kept_and_the_incidents_counted(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    headers = _admin(session, clock)
    opened = client.post(
        "/api/v1/incidents", json={"service": "app-server", "title": "down"}, headers=headers
    )
    assert opened.status_code == 201
    response = client.delete(f"/api/v1/services/{world.app_server.slug}", headers=headers)
    assert response.status_code == 409, response.text
    assert "incidents (1)" in response.json()["detail"]


def test_a_service_without_incidents_is_still_deleted(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    response = client.delete(
        f"/api/v1/services/{world.app_server.slug}", headers=_admin(session, clock)
    )
    assert response.status_code == 204, response.text


def test_a_level_that_names_nobody_is_recorded_and_paging_moves_on(
    db: Database, session: Session, clock: FakeClock
) -> None:
    world: World = build_world(session, clock)
    first = session.scalars(
        select(EscalationLevel.id).where(EscalationLevel.policy_id == world.policy.id)
    ).first()
    # As a database cascade once left it: the first level's targets gone.
    session.execute(delete(EscalationTarget).where(EscalationTarget.level_id == first))
    session.commit()
    with db.session() as s:
        incident = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="App server not responding",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        )
        chain = incident.chain
    paging_engine(db, clock).run_cycle()
    recorded = entries(session, chain)
    nobody = [e for e in recorded if e.kind is EntryKind.NOBODY_ON_CALL]
    assert [e.text for e in nobody] == ["Nobody to page at level 1: it names nobody; moving on"]
    assert any(e.kind is EntryKind.NOTIFICATION for e in recorded)
