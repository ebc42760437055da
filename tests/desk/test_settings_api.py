"""The desk's settings over the API: agents read them, admins change them, and bad input is a
4xx that names the problem and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.accounts.service import create_team
from takepoint.desk import canned, matrix, rules
from takepoint.desk import service as desk
from takepoint.desk.models import CalendarRow, Channel, Level, Priority, SlaRule
from takepoint.lib.clock import FakeClock
from tests.factories import make_token, make_user

API = "/api/v1/desk"
WEEK = {"monday": "09:00-12:00, 13:00-17:00", "friday": "09:00-15:00"}


@pytest.fixture
def admin(session: Session, clock: FakeClock) -> dict[str, str]:
    user = make_user(session, clock, role=Role.ADMIN)
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


@pytest.fixture
def agent(session: Session, clock: FakeClock) -> dict[str, str]:
    user = make_user(session, clock, role=Role.RESPONDER)
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _matrix_body(**cells: str) -> dict[str, Any]:
    return {
        "cells": [
            {"impact": i.value, "urgency": u.value, "priority": cells.get(f"{i}_{u}", p.value)}
            for (i, u), p in matrix.DEFAULT.items()
        ]
    }


def test_it_creates_reads_updates_and_deletes_a_calendar(
    client: TestClient, admin: dict[str, str], agent: dict[str, str], session: Session
) -> None:
    body = {"name": "Office hours", "time_zone": "Europe/Berlin", "weekly": WEEK}
    created = _ok(client.post(f"{API}/calendars", json=body, headers=admin), 201)

    assert created["weekly"] == WEEK and created["holidays"] == []
    assert _ok(client.get(f"{API}/calendars", headers=agent)) == [created]
    changed = {**body, "weekly": {"tuesday": "08:00-16:00"}, "holidays": ["2026-12-24"]}
    updated = _ok(client.put(f"{API}/calendars/{created['id']}", json=changed, headers=admin))
    assert updated["weekly"] == {"tuesday": "08:00-16:00"}
    assert updated["holidays"] == ["2026-12-24"]
    assert client.delete(f"{API}/calendars/{created['id']}", headers=admin).status_code == 204
    assert client.get(f"{API}/calendars/{created['id']}", headers=agent).status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"weekly": {"monday": "09:00-13:00, 12:00-17:00"}}, 422, "Monday: spans 09:00-13:00"),
        ({"weekly": {"someday": "09:00-17:00"}}, 422, "weekly.someday"),
        ({"time_zone": "Mars/Olympus"}, 422, "not a known IANA time zone"),
        ({"weekly": {}}, 422, "hours"),
        ({"name": "Nights"}, 409, "the calendar 'Nights' exists already"),
    ],
)
def test_it_refuses_a_bad_calendar_and_keeps_the_stored_one(
    client: TestClient,
    admin: dict[str, str],
    session: Session,
    change: dict[str, Any],
    status: int,
    message: str,
) -> None:
    rules.create_calendar(session, name="Nights", time_zone="UTC", weekly={0: "18:00-23:00"})
    row = rules.create_calendar(session, name="Office", time_zone="UTC", weekly={0: "09:00-17:00"})
    session.commit()
    body = {"name": "Office", "time_zone": "Europe/Berlin", "weekly": WEEK, **change}

    response = client.put(f"{API}/calendars/{row.id}", json=body, headers=admin)

    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    session.expire_all()
    kept = session.get(CalendarRow, row.id)
    assert kept is not None and (kept.name, kept.time_zone) == ("Office", "UTC")


def test_it_refuses_deleting_a_calendar_a_rule_counts_on(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    row = rules.create_calendar(session, name="Office", time_zone="UTC", weekly={0: "09:00-17:00"})
    rules.create_rule(session, name="Office", position=1, calendar_id=row.id, resolution_minutes=6)
    session.commit()

    response = client.delete(f"{API}/calendars/{row.id}", headers=admin)

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "the SLA rule 'Office' uses the calendar 'Office': change or delete it first"
    )


def test_it_creates_and_updates_a_rule_with_business_flags_and_a_warning(
    client: TestClient, admin: dict[str, str], agent: dict[str, str], session: Session
) -> None:
    row = rules.create_calendar(session, name="Office", time_zone="UTC", weekly={0: "09:00-17:00"})
    session.commit()
    body = {
        "name": "P2",
        "position": 20,
        "priority": "p2",
        "calendar_id": row.id,
        "first_response_minutes": 60,
        "resolution_minutes": 480,
        "resolution_business": False,
        "warn_percent": 50,
    }
    created = _ok(client.post(f"{API}/sla-rules", json=body, headers=admin), 201)

    assert created["first_response_business"] is True
    assert (created["resolution_business"], created["warn_percent"]) == (False, 50)
    assert _ok(client.get(f"{API}/sla-rules", headers=agent)) == [created]
    moved = _ok(
        client.put(f"{API}/sla-rules/{created['id']}", json={**body, "position": 5}, headers=admin)
    )
    assert moved["position"] == 5
    stored = session.scalars(select(SlaRule)).one()
    assert (stored.position, stored.resolution_business, stored.warn_percent) == (5, False, 50)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"warn_percent": 100}, "warn_percent"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"resolution_minutes": 2**40}, "resolution_minutes"),
        ({"position": -1}, "position"),
        ({"calendar_id": 2**40}, "calendar_id"),
        ({"category_id": 4242}, "there is no category with id 4242"),
        ({"first_response_minutes": None, "resolution_minutes": None}, "at least one target"),
        ({"priority": None, "position": 1}, "this rule matches every ticket, so 'P1'"),
    ],
)
def test_it_refuses_a_bad_rule_with_a_422_naming_it(
    client: TestClient,
    admin: dict[str, str],
    session: Session,
    change: dict[str, Any],
    message: str,
) -> None:
    rules.create_rule(session, name="P1", position=10, priority=Priority.P1, resolution_minutes=60)
    session.commit()
    body = {"name": "P2", "position": 20, "priority": "p2", "resolution_minutes": 480, **change}

    response = client.post(f"{API}/sla-rules", json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert list(session.scalars(select(SlaRule.name))) == ["P1"]


def test_it_updates_and_deletes_categories_and_names_the_rule_in_the_way(
    client: TestClient, admin: dict[str, str], agent: dict[str, str], session: Session
) -> None:
    category = desk.create_category(session, name="Printing")
    rule = rules.create_rule(
        session, name="Printers", position=1, category_id=category.id, resolution_minutes=60
    )
    session.commit()
    url = f"{API}/categories/{category.id}"

    assert _ok(client.put(url, json={"name": "Printers"}, headers=admin))["name"] == "Printers"
    assert _ok(client.get(url, headers=agent))["name"] == "Printers"
    refused = client.delete(url, headers=admin)
    assert refused.status_code == 409
    assert "the SLA rule 'Printers' uses the category 'Printers'" in refused.json()["detail"]
    assert client.delete(url, headers=agent).status_code == 403

    assert client.delete(f"{API}/sla-rules/{rule.id}", headers=admin).status_code == 204
    assert client.delete(url, headers=admin).status_code == 204
    assert desk.list_categories(session) == []


def test_it_reads_and_replaces_the_priority_matrix(
    client: TestClient,
    admin: dict[str, str],
    agent: dict[str, str],
    session: Session,
    clock: FakeClock,
) -> None:
    before = _ok(client.get(f"{API}/priority-matrix", headers=agent))["cells"]
    assert len(before) == 9 and not any(c["changed"] for c in before)

    after = _ok(
        client.put(f"{API}/priority-matrix", json=_matrix_body(high_low="p2"), headers=admin)
    )["cells"]

    changed = [c for c in after if c["changed"]]
    assert changed == [
        {"impact": "high", "urgency": "low", "priority": "p2", "default": "p3", "changed": True}
    ]
    assert matrix.priority_for(session, Level.HIGH, Level.LOW) is Priority.P2
    requester = desk.create_requester(session, name="Ada", now=clock.now())
    ticket = desk.open_ticket(
        session,
        requester_id=requester.id,
        title="Scanner",
        impact=Level.HIGH,
        urgency=Level.LOW,
        channel=Channel.WEB,
        now=clock.now(),
    )
    assert ticket.priority is Priority.P2  # new tickets read the new cell


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"cells": _matrix_body()["cells"][:8]}, "cells"),
        ({"cells": [*_matrix_body()["cells"][:8], _matrix_body()["cells"][0]]}, "missing"),
        (_matrix_body(high_low="p5"), "priority"),
    ],
)
def test_it_refuses_a_matrix_that_is_not_nine_good_cells(
    client: TestClient,
    admin: dict[str, str],
    agent: dict[str, str],
    session: Session,
    body: dict[str, Any],
    message: str,
) -> None:
    response = client.put(f"{API}/priority-matrix", json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert message in response.text
    assert (
        client.put(f"{API}/priority-matrix", json=_matrix_body(), headers=agent).status_code == 403
    )
    assert matrix.stored(session) == {}


def test_it_keeps_canned_replies_per_team_and_refuses_unknown_placeholders(
    client: TestClient,
    admin: dict[str, str],
    agent: dict[str, str],
    session: Session,
    clock: FakeClock,
) -> None:
    it = create_team(session, slug="hospital-it", name="Hospital IT", now=clock.now())
    labs = create_team(session, slug="labs", name="Labs", now=clock.now())
    session.commit()
    url = f"{API}/canned-replies"
    mine = _ok(
        client.post(
            url,
            json={"name": "Reset", "team_id": it.id, "body": "Hi {requester_first_name}"},
            headers=admin,
        ),
        201,
    )
    _ok(client.post(url, json={"name": "Thanks", "body": "Thanks!"}, headers=admin), 201)
    _ok(
        client.post(url, json={"name": "Reset", "team_id": labs.id, "body": "x"}, headers=admin),
        201,
    )

    listed = _ok(client.get(url, params={"team_id": it.id}, headers=agent))
    assert [(r["name"], r["team_id"]) for r in listed] == [("Reset", it.id), ("Thanks", None)]
    unknown = client.put(
        f"{url}/{mine['id']}",
        json={"name": "Reset", "team_id": it.id, "body": "Hi {first_name}"},
        headers=admin,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("unknown placeholder {first_name}; known:")
    clash = client.post(url, json={"name": "Reset", "team_id": it.id, "body": "y"}, headers=admin)
    assert clash.status_code == 409
    assert client.post(url, json={"name": "X", "body": "y"}, headers=agent).status_code == 403
    names = [p["name"] for p in _ok(client.get(f"{url}/placeholders", headers=agent))]
    assert names == list(canned.PLACEHOLDERS)

    assert client.delete(f"{url}/{mine['id']}", headers=admin).status_code == 204
    assert client.get(f"{url}/{mine['id']}", headers=agent).status_code == 404
    assert len(canned.listing(session)) == 2
