"""Action items: owned, dated, reminded, chased when overdue, counted in the readiness audit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.catalog.readiness import audit
from takepoint.cli.main import app as cli
from takepoint.engine.loop import Engine
from takepoint.incidents.models import Incident
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Notification
from takepoint.reviews import actions
from tests.factories import db_context, login, make_engine, registry_jobs
from tests.incidents.world import World, build_world, notified, phone_incident


def _incident(session: Session, clock: FakeClock, world: World) -> Incident:
    incident = phone_incident(session, clock, world)
    session.execute(delete(Notification))
    return incident


def _engine(db: Database, worker: str) -> Engine:
    return make_engine(
        db, db_context(db), jobs=registry_jobs(db_context(db), "action_items"), worker_id=worker
    )


def _subjects(session: Session, world_user: object) -> list[str]:
    return [n.subject for n in notified(session, world_user)]  # type: ignore[arg-type]


def test_it_tells_the_owner_then_reminds_then_chases_with_the_team_lead(
    db: Database, client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    created = client.post(
        "/api/v1/action-items",
        json={
            "incident_id": incident.id,
            "title": "Add a disk monitor for txn-01",
            "owner_id": world.lee.id,
            "due_on": "2026-03-09",
        },
        headers={"X-CSRF-Token": token},
    )
    assert created.status_code == 201, created.text
    engine, other = _engine(db, "a"), _engine(db, "b")

    clock.advance(timedelta(days=4))  # Fri 6 Mar 09:00: not yet two days before the end
    engine.run_cycle()
    before_reminder = _subjects(session, world.lee)
    clock.advance(timedelta(days=2))  # Sun 8 Mar 09:00: within two days of the end
    engine.run_cycle()
    other.run_cycle()
    reminded = _subjects(session, world.lee)
    clock.advance(timedelta(days=2))  # Tue 10 Mar: the due day is over
    other.run_cycle()
    engine.run_cycle()
    clock.advance(timedelta(days=7))
    engine.run_cycle()

    assert before_reminder == ["Action item for you: Add a disk monitor for txn-01"]
    assert reminded == [
        *before_reminder,
        "Reminder: action item due Mon 09 Mar: Add a disk monitor for txn-01",
    ]
    assert (
        _subjects(session, world.lee)[2:]
        == ["Overdue action item: Add a disk monitor for txn-01"] * 2
    )
    assert (
        _subjects(session, world.dana) == ["Overdue action item: Add a disk monitor for txn-01"] * 2
    )
    login(client, world.sam)  # fifteen days on, the first sign-in has expired
    listed = client.get("/api/v1/action-items").json()
    assert [(i["title"], i["overdue"]) for i in listed] == [("Add a disk monitor for txn-01", True)]


def test_it_stops_chasing_an_item_once_it_is_done(
    db: Database, client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    item = client.post(
        "/api/v1/action-items",
        json={
            "incident_id": incident.id,
            "title": "Name a backup lead for App server",
            "owner_id": world.priya.id,
            "due_on": "2026-03-03",
        },
        headers={"X-CSRF-Token": token},
    ).json()
    done = client.patch(
        f"/api/v1/action-items/{item['id']}",
        json={"state": "done"},
        headers={"X-CSRF-Token": token},
    )
    clock.advance(timedelta(days=10))
    _engine(db, "a").run_cycle()

    assert done.json()["state"] == "done"
    assert _subjects(session, world.priya) == [
        "Action item for you: Name a backup lead for App server"
    ]
    assert _subjects(session, world.dana) == []


def test_it_names_the_field_of_a_bad_action_item(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    token = login(client, world.sam)
    base = {
        "incident_id": incident.id,
        "title": "x",
        "owner_id": world.lee.id,
        "due_on": "2026-03-09",
    }

    bad_date = client.post(
        "/api/v1/action-items",
        json={**base, "due_on": "next week"},
        headers={"X-CSRF-Token": token},
    )
    far = client.post(
        "/api/v1/action-items",
        json={**base, "due_on": "2099-01-01"},
        headers={"X-CSRF-Token": token},
    )
    blank = client.post(
        "/api/v1/action-items", json={**base, "title": "   "}, headers={"X-CSRF-Token": token}
    )

    assert (bad_date.status_code, bad_date.json()["field"]) == (422, "due_on")
    assert (far.status_code, far.json()["field"]) == (422, "due_on")
    assert (blank.status_code, blank.json()["field"]) == (422, "title")


def test_it_shows_open_actions_in_the_readiness_audit_and_on_the_command_line(
    db: Database, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = _incident(session, clock, world)
    # The command line reads the system clock: the second item is due well after today.
    later = datetime.now(UTC).date() + timedelta(days=400)
    for title, due in (("Write a runbook", date(2026, 3, 1)), ("Add a monitor", later)):
        actions.create_action(
            session,
            incident=incident,
            title=title,
            owner=world.lee,
            due_on=due,
            user=world.sam,
            now=clock.now(),
        )

    (readiness,) = audit(session, now=clock.now(), service_ids=[world.app_server.id])
    result = CliRunner().invoke(
        cli, ["actions", "--format", "json"], env={"TAKEPOINT_DATABASE_URL": db.url}
    )

    assert readiness.notes == ["2 open actions (1 overdue)"]
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["title"], r["state"], r["owner"]) for r in rows] == [
        ("Write a runbook", "overdue", "lee@example.org"),
        ("Add a monitor", "open", "lee@example.org"),
    ]
    assert session.scalar(select(Incident.id)) == incident.id
