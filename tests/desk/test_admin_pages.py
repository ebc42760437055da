"""The desk's settings page: an admin adds calendars and rules; mistakes show by their field."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.desk import service as desk
from takepoint.desk.models import CalendarRow, Priority, SlaRule
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_user

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:1\r
SUMMARY:Christmas Eve\r
DTSTART;VALUE=DATE:20261224\r
END:VEVENT\r
END:VCALENDAR\r
"""

WEEK = {
    "monday": "09:00-12:00, 13:00-17:00",
    "tuesday": "09:00-17:00",
    "wednesday": "09:00-17:00",
    "thursday": "09:00-17:00",
    "friday": "09:00-15:00",
}


def _admin(session: Session, clock: FakeClock, client: TestClient) -> str:
    return login(client, make_user(session, clock, role=Role.ADMIN))


def test_it_adds_a_calendar_and_a_rule_through_the_forms(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)

    added = client.post(
        "/desk/settings/calendars",
        data={
            "csrf_token": token,
            "name": "Office hours",
            "time_zone": "Europe/Berlin",
            **WEEK,
            "holidays": "2026-12-31\n\n2027-01-01\n",
        },
        files={"ics": ("holidays.ics", ICS, "text/calendar")},
    )

    assert added.status_code == 303, added.text
    calendar = session.scalars(select(CalendarRow)).one()
    assert calendar.holidays == ["2026-12-24", "2026-12-31", "2027-01-01"]
    assert calendar.weekly["0"] == [[540, 720], [780, 1020]]

    rule = client.post(
        "/desk/settings/rules",
        data={
            "csrf_token": token,
            "name": "P2 office",
            "position": "20",
            "priority": "p2",
            "calendar_id": str(calendar.id),
            "first_response_minutes": "60",
            "resolution_minutes": "480",
        },
    )

    assert rule.status_code == 303, rule.text
    stored = session.scalars(select(SlaRule)).one()
    assert (stored.priority, stored.calendar_id) == (Priority.P2, calendar.id)
    assert (stored.first_response_minutes, stored.next_response_minutes) == (60, None)
    page = client.get("/desk/settings")
    assert page.status_code == 200
    assert "Office hours" in page.text and "3 closed days" in page.text
    assert "09:00-12:00, 13:00-17:00" in page.text
    assert "20 · P2 office" in page.text and "priority P2" in page.text


def test_it_adds_a_category_with_its_team(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)

    response = client.post(
        "/desk/settings/categories", data={"csrf_token": token, "name": "Printing"}
    )

    assert response.status_code == 303
    assert [c.name for c in desk.list_categories(session)] == ["Printing"]
    assert "Printing" in client.get("/desk/settings").text


def test_it_shows_an_overlap_next_to_its_day_and_keeps_what_was_typed(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)

    response = client.post(
        "/desk/settings/calendars",
        data={
            "csrf_token": token,
            "name": "Office hours",
            "time_zone": "Europe/Berlin",
            **WEEK,
            "tuesday": "09:00-13:00, 12:00-17:00",
        },
    )

    assert response.status_code == 422
    field = re.search(
        r'<input id="calendar-tuesday"[^>]*>\s*<p class="error[^"]*"[^>]*>([^<]*)<', response.text
    )
    assert field is not None, response.text
    assert "Tuesday: spans 09:00-13:00 and 12:00-17:00 overlap" in field.group(1)
    assert 'value="09:00-13:00, 12:00-17:00"' in response.text
    assert 'value="Office hours"' in response.text
    assert session.scalars(select(CalendarRow)).first() is None


def test_it_shows_a_rule_after_a_catch_all_by_its_position(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    base = {"csrf_token": token, "resolution_minutes": "600"}
    client.post("/desk/settings/rules", data={**base, "name": "All", "position": "10"})

    response = client.post(
        "/desk/settings/rules", data={**base, "name": "P1", "position": "20", "priority": "p1"}
    )

    assert response.status_code == 422
    assert 'id="rule-position-error"' in response.text
    assert "this rule could never match" in response.text
    assert 'value="P1"' in response.text


def test_it_refuses_a_responder(session: Session, clock: FakeClock, client: TestClient) -> None:
    token = login(client, make_user(session, clock, role=Role.RESPONDER))

    assert client.get("/desk/settings").status_code == 403
    posted = client.post(
        "/desk/settings/categories", data={"csrf_token": token, "name": "Printing"}
    )
    assert posted.status_code == 403
    assert desk.list_categories(session) == []
