"""The desk's sections of configuration files: applied, exported back exactly, refused by line."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk import canned, matrix
from takepoint.desk.models import CalendarRow, Category, Level, Priority, SlaRule
from takepoint.lib.apply import ApplyRejected, apply_text, export_text
from takepoint.lib.clock import FakeClock

BASE = """\
version: 1
users:
  - email: dana@stmarys.example
    name: Dana Fox
teams:
  - slug: hospital-it
    name: Hospital IT
    lead: dana@stmarys.example
departments:
  - slug: theatres
    name: Theatres
services:
  - slug: app-server
    name: Clinical app server
    tier: 1
"""

DESK = """\
desk_categories:
  - name: Printing
    team: hospital-it
  - name: Accounts
desk_calendars:
  - name: Office hours
    time_zone: Europe/Berlin
    monday: "09:00-12:00, 13:00-17:00"
    tuesday: "09:00-17:00"
    friday: "09:00-15:00"
    holidays: [2026-12-24]
    holidays_ics: |
      BEGIN:VCALENDAR
      VERSION:2.0
      PRODID:-//test//EN
      BEGIN:VEVENT
      UID:1
      SUMMARY:Closed
      DTSTART;VALUE=DATE:20260601
      END:VEVENT
      END:VCALENDAR
  - name: Berlin
    time_zone: Europe/Berlin
    monday: "08:00-16:00"
    holidays_country: DE
    holidays_region: BE
    holidays_years: [2026]
desk_sla_rules:
  - name: Theatres P1
    position: 10
    calendar: null
    priority: P1
    department: theatres
    service: app-server
    vip: true
    first_response_minutes: 15
    resolution_minutes: 240
  - name: Printing
    position: 20
    calendar: Office hours
    category: Printing
    first_response_minutes: 60
  - name: Everything else
    position: 100
    calendar: Berlin
    resolution_minutes: 2400
"""


def _apply(session: Session, clock: FakeClock, text: str, *, prune: bool = False) -> list[str]:
    plan = apply_text(session, text=text, filename="desk.yaml", now=clock.now(), prune=prune)
    session.commit()
    return plan.render().splitlines()


def _problems(session: Session, clock: FakeClock, text: str) -> list[str]:
    with pytest.raises(ApplyRejected) as caught:
        apply_text(session, text=text, filename="desk.yaml", now=clock.now())
    session.rollback()
    return caught.value.message.splitlines()[:-1]


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(True), 1) if needle in line)


def test_it_creates_categories_calendars_and_rules(session: Session, clock: FakeClock) -> None:
    lines = _apply(session, clock, BASE + DESK)

    assert "+ create desk category Printing" in lines
    assert "+ create SLA rule Everything else" in lines
    printing = session.scalars(select(Category).where(Category.name == "Printing")).one()
    assert printing.team is not None and printing.team.slug == "hospital-it"
    office = session.scalars(select(CalendarRow).where(CalendarRow.name == "Office hours")).one()
    assert office.weekly == {"0": [[540, 720], [780, 1020]], "1": [[540, 1020]], "4": [[540, 900]]}
    assert office.holidays == ["2026-06-01", "2026-12-24"]
    berlin = session.scalars(select(CalendarRow).where(CalendarRow.name == "Berlin")).one()
    assert "2026-03-08" in berlin.holidays  # International Women's Day, in Berlin only
    assert "2026-12-25" in berlin.holidays
    rules = list(session.scalars(select(SlaRule).order_by(SlaRule.position)))
    assert [r.name for r in rules] == ["Theatres P1", "Printing", "Everything else"]
    assert rules[0].priority is Priority.P1 and rules[0].vip is True
    assert rules[0].calendar_id is None and rules[0].first_response_minutes == 15
    assert rules[1].calendar is not None and rules[1].calendar.name == "Office hours"


def test_it_reports_no_changes_the_second_time(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, BASE + DESK)

    assert _apply(session, clock, BASE + DESK) == [
        "No changes: Takepoint already matches desk.yaml."
    ]


def test_it_exports_what_it_applies_back_with_no_changes(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BASE + DESK)

    exported = export_text(session)

    assert "monday: 09:00-12:00, 13:00-17:00" in exported or (
        "monday: '09:00-12:00, 13:00-17:00'" in exported
    )
    assert "holidays_country" not in exported  # the days themselves are written
    assert _apply(session, clock, exported) == ["No changes: Takepoint already matches desk.yaml."]


def test_it_plans_updates_and_applies_them(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, BASE + DESK)
    changed = (
        DESK.replace('tuesday: "09:00-17:00"', 'tuesday: "10:00-17:00"')
        .replace("first_response_minutes: 60", "first_response_minutes: 30")
        .replace("  - name: Accounts\n", "  - name: Accounts\n    team: hospital-it\n")
    )

    lines = _apply(session, clock, BASE + changed)

    assert "~ update desk calendar Office hours" in lines
    assert "    tuesday: 09:00-17:00 → 10:00-17:00" in lines
    assert "    first_response_minutes: 60 → 30" in lines
    assert "    team: (none) → hospital-it" in lines
    rule = session.scalars(select(SlaRule).where(SlaRule.name == "Printing")).one()
    assert rule.first_response_minutes == 30


def test_it_prunes_rules_and_calendars_left_out(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, BASE + DESK)
    without = DESK.split("  - name: Everything else")[0]
    without = without.replace(
        '  - name: Berlin\n    time_zone: Europe/Berlin\n    monday: "08:00-16:00"\n'
        "    holidays_country: DE\n    holidays_region: BE\n    holidays_years: [2026]\n",
        "",
    )

    lines = _apply(session, clock, BASE + without, prune=True)

    assert "- delete SLA rule Everything else" in lines
    assert "- delete desk calendar Berlin" in lines
    assert set(session.scalars(select(CalendarRow.name))) == {"Office hours"}


def test_it_refuses_pruning_a_calendar_a_kept_rule_uses(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, BASE + DESK)
    text = (
        BASE
        + 'desk_calendars:\n  - name: Office hours\n    time_zone: UTC\n    monday: "09:00-17:00"\n'
    )

    with pytest.raises(ApplyRejected) as caught:
        apply_text(session, text=text, filename="desk.yaml", now=clock.now(), prune=True)

    assert "SLA rule 'Everything else' uses calendar 'Berlin'" in caught.value.message


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "    team: hospital-it\n  - name: Accounts",
            "    team: nobody\n  - name: Accounts",
            "team: nobody",
            "unknown team 'nobody'",
        ),
        (
            'tuesday: "09:00-17:00"',
            'tuesday: "09:00-13:00, 12:00-17:00"',
            "tuesday:",
            "Tuesday: spans 09:00-13:00 and 12:00-17:00 overlap",
        ),
        (
            "holidays_ics: |\n      BEGIN:VCALENDAR",
            "holidays_ics: |\n      Not a calendar",
            "holidays_ics:",
            "is not an iCalendar (ICS) file",
        ),
        (
            "holidays_country: DE",
            "holidays_country: XX",
            "holidays_country:",
            "no public holidays are known for 'XX-BE'",
        ),
        (
            'time_zone: Europe/Berlin\n    monday: "08',
            'time_zone: Mars/Olympus\n    monday: "08',
            "Mars/Olympus",
            "not a known IANA time zone",
        ),
        (
            "calendar: Office hours",
            "calendar: Nights",
            "calendar: Nights",
            "unknown calendar 'Nights'",
        ),
        (
            "category: Printing",
            "category: Plumbing",
            "category: Plumbing",
            "unknown category 'Plumbing'",
        ),
        (
            "department: theatres",
            "department: wards",
            "department: wards",
            "unknown department 'wards'",
        ),
        ("service: app-server", "service: mail", "service: mail", "unknown service 'mail'"),
        (
            "    calendar: Berlin\n    resolution_minutes: 2400\n",
            "    calendar: Berlin\n",
            "- name: Everything else",
            "a rule needs at least one target",
        ),
        (
            "position: 100",
            "position: 5",
            "position: 10\n",
            "this rule could never match: 'Everything else'",
        ),
    ],
)
def test_it_names_the_line_of_each_problem(
    session: Session, clock: FakeClock, old: str, new: str, needle: str, message: str
) -> None:
    assert old in DESK
    text = BASE + DESK.replace(old, new, 1)
    line = _line(text, needle)

    problems = _problems(session, clock, text)

    assert any(p.startswith(f"desk.yaml:{line}: ") and message in p for p in problems), problems
    assert session.scalars(select(Category)).first() is None  # nothing was applied


def test_it_refuses_a_rule_after_a_catch_all_already_stored(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BASE + DESK)
    text = (
        BASE
        + "desk_sla_rules:\n  - name: Late\n    position: 200\n    priority: p4\n"
        + ("    resolution_minutes: 60\n")
    )

    problems = _problems(session, clock, text)

    assert problems == [
        f"desk.yaml:{_line(text, 'position: 200')}: this rule could never match: "
        "'Everything else' (position 100) comes first and matches every ticket"
    ]


def test_it_moves_a_catch_all_down_to_make_room(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, BASE + DESK)
    text = (
        BASE
        + DESK.replace("position: 100", "position: 300")
        + ("  - name: Late\n    position: 200\n    priority: p4\n    resolution_minutes: 60\n")
    )

    _apply(session, clock, text)

    names = list(session.scalars(select(SlaRule.name).order_by(SlaRule.position)))
    assert names == ["Theatres P1", "Printing", "Late", "Everything else"]


def test_it_keeps_stored_hours_and_holidays_when_the_file_leaves_them_out(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BASE + DESK)
    text = "version: 1\ndesk_calendars:\n  - name: Office hours\n    time_zone: Europe/Paris\n"

    lines = _apply(session, clock, text)

    assert lines[:2] == [
        "~ update desk calendar Office hours",
        "    time_zone: Europe/Berlin → Europe/Paris",
    ]
    office = session.scalars(select(CalendarRow).where(CalendarRow.name == "Office hours")).one()
    assert office.holidays == [date(2026, 6, 1).isoformat(), "2026-12-24"]
    assert office.weekly["1"] == [[540, 1020]]


# --- business time per target, the warning, the matrix and canned replies ----------------------


def test_it_applies_business_flags_and_the_warning_and_exports_only_what_differs(
    session: Session, clock: FakeClock
) -> None:
    text = BASE + DESK.replace(
        "    first_response_minutes: 60\n",
        "    first_response_minutes: 60\n"
        "    first_response_business: false\n"
        "    warn_percent: 60\n",
    )

    lines = _apply(session, clock, text)

    assert any("first_response 60 min (every hour); warn at 60%" in line for line in lines), lines
    printing = session.scalars(select(SlaRule).where(SlaRule.name == "Printing")).one()
    assert (printing.first_response_business, printing.warn_percent) == (False, 60)
    exported = export_text(session)
    assert exported.count("_business: false") == 1 and exported.count("warn_percent") == 1
    assert "resolution_business" not in exported  # defaults stay out of the file
    assert _apply(session, clock, exported) == ["No changes: Takepoint already matches desk.yaml."]


def test_it_keeps_the_flags_when_an_older_file_leaves_them_out(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BASE + DESK)
    rule = session.scalars(select(SlaRule).where(SlaRule.name == "Printing")).one()
    rule.warn_percent = 50
    session.commit()

    assert _apply(session, clock, BASE + DESK) == [
        "No changes: Takepoint already matches desk.yaml."
    ]
    lines = _apply(
        session,
        clock,
        BASE
        + DESK.replace(
            "    category: Printing\n", "    category: Printing\n    warn_percent: 80\n"
        ),
    )
    assert "    warn_percent: 50 → 80" in lines


EXTRAS = """\
desk_priority_matrix:
  - {impact: high, urgency: low, priority: p2}
  - impact: Low
    urgency: high
    priority: P4
desk_canned_replies:
  - name: Password reset
    team: hospital-it
    body: |
      Hello {requester_first_name},
      your password is reset.
  - name: Password reset
    body: Hello {requester_name}, ask your team lead.
"""


def test_it_applies_matrix_cells_and_canned_replies_and_exports_them_back(
    session: Session, clock: FakeClock
) -> None:
    lines = _apply(session, clock, BASE + EXTRAS)

    assert "~ update priority matrix cell impact high, urgency low" in lines
    assert "    priority: p3 → p2" in lines
    assert "+ create canned reply Password reset (hospital-it)" in lines
    assert "+ create canned reply Password reset (all teams)" in lines
    assert matrix.stored(session) == {
        (Level.HIGH, Level.LOW): Priority.P2,
        (Level.LOW, Level.HIGH): Priority.P4,
    }
    replies = {(r.team.slug if r.team else None): r.body for r in canned.listing(session)}
    assert replies["hospital-it"] == "Hello {requester_first_name},\nyour password is reset."
    exported = export_text(session)
    assert _apply(session, clock, exported) == ["No changes: Takepoint already matches desk.yaml."]


def test_it_plans_a_changed_reply_and_prunes_a_cell_back_to_its_default(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BASE + EXTRAS)
    changed = EXTRAS.replace("ask your team lead", "ask {team_name}").replace(
        "  - impact: Low\n    urgency: high\n    priority: P4\n", ""
    )

    lines = _apply(session, clock, BASE + changed, prune=True)

    assert "~ update canned reply Password reset (all teams)" in lines
    assert "- delete priority matrix cell impact low, urgency high" in lines
    assert matrix.priority_for(session, Level.LOW, Level.HIGH) is Priority.P3


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("priority: p2}", "priority: p5}", "priority: p5", "priority: input should be"),
        ("urgency: high\n", "urgency: soon\n", "urgency: soon", "urgency: input should be"),
        ("team: hospital-it", "team: labs", "team: labs", "unknown team 'labs'"),
        (
            "Hello {requester_first_name},",
            "Hello {first_name},",
            "body: |",
            "unknown placeholder {first_name}; known: {requester_name}",
        ),
        (
            "  - name: Password reset\n    body:",
            "  - name: Password reset\n    team: hospital-it\n    body:",
            "  - name: Password reset\n    team: hospital-it\n    body:",
            "duplicate canned reply 'Password reset (hospital-it)'",
        ),
    ],
)
def test_it_names_the_line_of_each_problem_in_the_matrix_and_replies(
    session: Session, clock: FakeClock, old: str, new: str, needle: str, message: str
) -> None:
    assert old in EXTRAS
    text = BASE + EXTRAS.replace(old, new, 1)
    if "\n" in needle:  # the second of two entries: the line its item starts on
        line = text.splitlines().index("  - name: Password reset", _line(text, "body: |")) + 1
    else:
        line = _line(text, needle)

    problems = _problems(session, clock, text)

    assert any(p.startswith(f"desk.yaml:{line}: ") and message in p for p in problems), problems
    assert canned.listing(session) == [] and matrix.stored(session) == {}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("warn_percent", "0", "warn_percent: input should be greater than or equal to 1"),
        ("warn_percent", "100", "warn_percent: input should be less than or equal to 99"),
        ("resolution_business", "maybe", "resolution_business: input should be a valid boolean"),
        ("next_response_minutes", "1000000", "next_response_minutes: input should be less"),
    ],
)
def test_it_names_the_line_of_a_bad_flag_or_warning(
    session: Session, clock: FakeClock, field: str, value: str, message: str
) -> None:
    text = BASE + DESK.replace(
        "    category: Printing\n", f"    category: Printing\n    {field}: {value}\n"
    )

    problems = _problems(session, clock, text)

    line = _line(text, f"{field}: {value}")
    assert any(p.startswith(f"desk.yaml:{line}: ") and message in p for p in problems), problems
