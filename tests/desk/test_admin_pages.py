"""The desk's settings pages: an admin adds, edits and deletes categories, calendars, rules,
matrix cells and canned replies; mistakes show by their field, and nothing half-saves."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.accounts.service import create_team
from takepoint.desk import canned, matrix, rules
from takepoint.desk import service as desk
from takepoint.desk.models import CalendarRow, Channel, Level, Priority, SlaRule
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


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/desk/settings/categories", {"name": "Printing", "team_id": "abc"}),
        (
            "/desk/settings/rules",
            {
                "name": "P2",
                "position": "1",
                "resolution_minutes": "60",
                "category_id": "x1",
            },
        ),
    ],
)
def test_it_refuses_an_id_that_is_no_id_instead_of_saving_none(
    session: Session, clock: FakeClock, client: TestClient, path: str, fields: dict[str, str]
) -> None:
    token = _admin(session, clock, client)
    response = client.post(path, data={"csrf_token": token, **fields})
    assert response.status_code == 422
    assert "is not an id" in response.text
    assert desk.list_categories(session) == []
    assert session.scalars(select(SlaRule)).all() == []


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


# --- editing and deleting ----------------------------------------------------------------------


def _calendar(session: Session) -> CalendarRow:
    row = rules.create_calendar(
        session, name="Office hours", time_zone="Europe/Berlin", weekly={0: "09:00-17:00"}
    )
    session.commit()
    return row


def _rule_form(token: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "name": "P2 office",
        "position": "20",
        "priority": "p2",
        "first_response_minutes": "60",
        "resolution_minutes": "480",
        **changes,
    }


def test_it_edits_a_rule_with_its_business_time_and_warning(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    calendar = _calendar(session)
    rule = rules.create_rule(
        session, name="P2", position=10, priority=Priority.P2, resolution_minutes=480
    )
    session.commit()

    form = _rule_form(
        token,
        position="30",
        calendar_id=str(calendar.id),
        first_response_business="calendar",
        warn_percent="60",
    )
    saved = client.post(f"/desk/settings/rules/{rule.id}", data=form)

    assert saved.status_code == 303, saved.text
    session.expire_all()
    stored = session.get(SlaRule, rule.id)
    assert stored is not None
    assert (stored.name, stored.position, stored.calendar_id) == ("P2 office", 30, calendar.id)
    assert (stored.first_response_business, stored.resolution_business) == (False, True)
    assert stored.warn_percent == 60
    page = client.get("/desk/settings").text
    assert "30 · P2 office" in page
    assert "first response 60 min (every hour)" in page and "Warns at 60%." in page
    edit = client.get(f"/desk/settings/rules/{rule.id}").text
    assert '<option value="calendar" selected>counted in calendar time' in edit
    assert re.search(r'name="warn_percent"[^>]*value="60"', edit)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"warn_percent": "0"}, "warn_percent", "the warning is a percent from 1 to 99"),
        ({"warn_percent": "ten"}, "warn_percent", "the warning is a percent from 1 to 99"),
        ({"resolution_minutes": "9999999"}, "resolution_minutes", "at most 527040 (a year)"),
        ({"position": "-3"}, "position", "the position is a whole number"),
        ({"priority": "", "position": "5"}, "position", "this rule matches every ticket"),
    ],
)
def test_it_shows_a_bad_rule_edit_by_its_field_and_keeps_the_rule(
    session: Session,
    clock: FakeClock,
    client: TestClient,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    token = _admin(session, clock, client)
    rules.create_rule(session, name="P1", position=10, priority=Priority.P1, resolution_minutes=60)
    rule = rules.create_rule(
        session, name="P2", position=20, priority=Priority.P2, resolution_minutes=480
    )
    session.commit()

    response = client.post(f"/desk/settings/rules/{rule.id}", data=_rule_form(token, **changes))

    assert response.status_code == 422
    error = re.search(rf'id="rule-{field}-error"[^>]*>([^<]*)<', response.text)
    assert error is not None and message in error.group(1), response.text
    session.expire_all()
    kept = session.get(SlaRule, rule.id)
    assert kept is not None and (kept.name, kept.position, kept.warn_percent) == ("P2", 20, 75)


def test_it_refuses_deleting_a_category_a_rule_uses_and_names_the_rule(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    category = desk.create_category(session, name="Printing")
    rule = rules.create_rule(
        session, name="Printers", position=1, category_id=category.id, resolution_minutes=60
    )
    session.commit()

    refused = client.post(
        f"/desk/settings/categories/{category.id}/delete", data={"csrf_token": token}
    )

    assert refused.status_code == 409
    assert (
        "the SLA rule &#39;Printers&#39; uses the category &#39;Printing&#39;: change or delete "
        "it first" in refused.text
    )
    session.expire_all()
    assert session.get(SlaRule, rule.id) is not None  # the database would have cascaded
    client.post(f"/desk/settings/rules/{rule.id}/delete", data={"csrf_token": token})
    deleted = client.post(
        f"/desk/settings/categories/{category.id}/delete", data={"csrf_token": token}
    )
    assert deleted.status_code == 303
    assert desk.list_categories(session) == []


def test_it_refuses_deleting_a_calendar_an_open_ticket_still_counts_on(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    calendar = _calendar(session)
    rule = rules.create_rule(
        session, name="Office", position=1, calendar_id=calendar.id, resolution_minutes=600
    )
    requester = desk.create_requester(session, name="Ada Nurse", now=clock.now())
    ticket = desk.open_ticket(
        session, requester_id=requester.id, title="Printer", channel=Channel.WEB, now=clock.now()
    )
    session.commit()
    url = f"/desk/settings/calendars/{calendar.id}/delete"

    by_rule = client.post(url, data={"csrf_token": token})
    assert by_rule.status_code == 409
    assert "the SLA rule &#39;Office&#39; uses the calendar &#39;Office hours&#39;" in by_rule.text

    client.post(f"/desk/settings/rules/{rule.id}/delete", data={"csrf_token": token})
    by_clock = client.post(url, data={"csrf_token": token})

    assert by_clock.status_code == 409
    assert f"the SLA clocks of ticket #{ticket.id} still count on the calendar" in by_clock.text
    session.expire_all()
    assert session.get(CalendarRow, calendar.id) is not None


def test_it_edits_a_calendar_and_refuses_a_name_taken(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    calendar = _calendar(session)
    rules.create_calendar(session, name="Nights", time_zone="UTC", weekly={0: "18:00-23:00"})
    session.commit()
    form = {"csrf_token": token, "name": "Nights", "time_zone": "Europe/Paris", **WEEK}

    taken = client.post(f"/desk/settings/calendars/{calendar.id}", data=form)

    assert taken.status_code == 409
    assert 'id="calendar-name-error"' in taken.text and "exists already" in taken.text
    assert 'value="Europe/Paris"' in taken.text  # what was typed is kept

    saved = client.post(
        f"/desk/settings/calendars/{calendar.id}",
        data={**form, "name": "Office", "holidays": "2026-12-24"},
    )
    assert saved.status_code == 303, saved.text
    session.expire_all()
    row = session.get(CalendarRow, calendar.id)
    assert row is not None and (row.name, row.time_zone) == ("Office", "Europe/Paris")
    assert row.weekly["4"] == [[540, 900]] and row.holidays == ["2026-12-24"]
    edit = client.get(f"/desk/settings/calendars/{calendar.id}").text
    assert 'value="09:00-12:00, 13:00-17:00"' in edit and ">2026-12-24</textarea>" in edit


def test_it_renames_a_category_and_gives_it_another_team(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    team = create_team(session, slug="hospital-it", name="Hospital IT", now=clock.now())
    category = desk.create_category(session, name="Printing")
    session.commit()

    saved = client.post(
        f"/desk/settings/categories/{category.id}",
        data={"csrf_token": token, "name": "Printers", "team_id": str(team.id)},
    )

    assert saved.status_code == 303
    session.expire_all()
    assert [(c.name, c.team_id) for c in desk.list_categories(session)] == [("Printers", team.id)]
    assert client.get("/desk/settings/categories/999999").status_code == 404


# --- the priority matrix and canned replies ----------------------------------------------------


def _matrix_form(token: str, **cells: str) -> dict[str, str]:
    form = {f"{i.value}_{u.value}": p.value for (i, u), p in matrix.DEFAULT.items()}
    return {"csrf_token": token, **form, **cells}


def test_it_saves_the_matrix_and_marks_the_changed_cells(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)

    saved = client.post("/desk/settings/matrix", data=_matrix_form(token, high_low="p2"))

    assert saved.status_code == 303
    assert "1%20cell%20changed" in saved.headers["location"]
    assert matrix.priority_for(session, Level.HIGH, Level.LOW) is Priority.P2
    page = client.get("/desk/settings/matrix").text
    assert '<td id="cell-high_low" data-changed="true">' in page
    assert "changed · default P3" in page
    assert page.count('data-changed="true"') == 1

    client.post("/desk/settings/matrix", data=_matrix_form(token))
    assert matrix.stored(session) == {}  # back to the default: nothing stored


def test_it_refuses_a_matrix_with_a_cell_that_is_not_a_priority(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)

    response = client.post(
        "/desk/settings/matrix", data=_matrix_form(token, high_low="p2", low_low="p9")
    )

    assert response.status_code == 422
    assert "choose a priority from P1 to P4" in response.text
    assert matrix.stored(session) == {}  # nothing half-saved


def test_it_adds_edits_and_deletes_a_canned_reply(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = _admin(session, clock, client)
    team = create_team(session, slug="hospital-it", name="Hospital IT", now=clock.now())
    session.commit()
    form = {"csrf_token": token, "name": "Password reset", "team_id": str(team.id)}

    unknown = client.post(
        "/desk/settings/canned", data={**form, "body": "Hello {first_name}, done."}
    )
    assert unknown.status_code == 422
    assert "unknown placeholder {first_name}; known: {requester_name}" in unknown.text
    assert "Hello {first_name}, done." in unknown.text  # kept to correct
    assert canned.listing(session) == []

    added = client.post(
        "/desk/settings/canned", data={**form, "body": "Hello {requester_first_name}, done."}
    )
    assert added.status_code == 303
    reply = canned.listing(session)[0]
    page = client.get("/desk/settings/canned").text
    assert '<h3 class="small">Hospital IT</h3>' in page and "Password reset" in page
    assert "<code>{ticket_number}</code>" in page

    edited = client.post(
        f"/desk/settings/canned/{reply.id}",
        data={**form, "team_id": "", "body": "Done, {agent_name}"},
    )
    assert edited.status_code == 303
    session.expire_all()
    assert (reply.team_id, reply.body) == (None, "Done, {agent_name}")

    deleted = client.post(f"/desk/settings/canned/{reply.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert canned.listing(session) == []


def test_it_refuses_a_responder_every_settings_page(
    session: Session, clock: FakeClock, client: TestClient
) -> None:
    token = login(client, make_user(session, clock, role=Role.RESPONDER))

    for page in ("/desk/settings/matrix", "/desk/settings/canned", "/desk/settings/rules/1"):
        assert client.get(page).status_code == 403, page
    posted = client.post("/desk/settings/matrix", data=_matrix_form(token, high_low="p1"))
    assert posted.status_code == 403
    assert matrix.stored(session) == {}
