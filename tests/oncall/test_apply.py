"""Schedules in configuration files: `takepoint apply` and `export`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.demo import load_demo
from takepoint.lib.apply import ApplyRejected, apply_text, export_text
from takepoint.lib.clock import FakeClock
from takepoint.oncall import service
from takepoint.oncall.models import Schedule
from tests.oncall.conftest import z

FILE = """\
version: 1
users:
  - email: sam@stmarys.example
    name: Sam Okafor
  - email: priya@stmarys.example
    name: Priya Raman
  - email: lee@stmarys.example
    name: Lee Chen
teams:
  - slug: hospital-it
    name: Hospital IT
    lead: priya@stmarys.example
schedules:
  - slug: hospital-it-on-call
    name: Hospital IT on call
    time_zone: Europe/London
    team: hospital-it
    layers:
      - name: Primary
        start_date: 2026-03-02
        handoff_time: "09:00"
        shift_length: 1
        shift_unit: weeks
        participants:
          - sam@stmarys.example
          - priya@stmarys.example
      - name: Weeknights
        start_date: 2026-03-02
        handoff_time: "18:00"
        shift_length: 1
        shift_unit: days
        participants:
          - lee@stmarys.example
        restrictions:
          - days: [mon, tue, wed, thu, fri]
            start: "18:00"
            end: "08:00"
"""


def apply(session: Session, clock: FakeClock, text: str) -> list[str]:
    plan = apply_text(session, text=text, filename="oncall.yaml", now=clock.now())
    session.commit()
    return [f"{c.action.value} {c.kind} {c.name}" for c in plan.changes]


def rejected(session: Session, clock: FakeClock, text: str) -> list[str]:
    with pytest.raises(ApplyRejected) as caught:
        apply_text(session, text=text, filename="oncall.yaml", now=clock.now())
    session.rollback()
    return caught.value.message.splitlines()


def test_it_creates_schedules_and_changes_nothing_the_second_time(
    session: Session, clock: FakeClock
) -> None:
    assert "create schedule hospital-it-on-call" in apply(session, clock, FILE)
    assert apply(session, clock, FILE) == []
    schedule = service.find_schedule(session, "hospital-it-on-call")
    assert [layer.name for layer in schedule.layers] == ["Primary", "Weeknights"]
    # Tuesday 3 March, 20:00 GMT: the weeknight layer is on top.
    on_call = service.who_is_on_call(session, schedule, z(2026, 3, 3, 20)).user
    assert on_call is not None and on_call.email == "lee@stmarys.example"


def test_it_exports_schedules_that_apply_back_without_changes(
    session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    session.commit()
    text = export_text(session)
    assert "schedules:" in text
    assert "  - slug: hospital-it-on-call" in text
    assert "shift_unit: weeks" in text
    assert apply(session, clock, text) == []


def test_it_names_an_unknown_person_with_the_file_and_line(
    session: Session, clock: FakeClock
) -> None:
    text = FILE.replace("          - lee@stmarys.example\n", "          - kim@stmarys.example\n")
    assert rejected(session, clock, text) == [
        "oncall.yaml:33: unknown user 'kim@stmarys.example'",
        "1 error; nothing was applied.",
    ]
    assert session.scalar(select(func.count()).select_from(Schedule)) == 0


def test_it_refuses_an_unquoted_time_that_yaml_reads_as_a_number(
    session: Session, clock: FakeClock
) -> None:
    text = FILE.replace('handoff_time: "18:00"', "handoff_time: 18:00")
    problems = rejected(session, clock, text)
    assert problems[0].startswith("oncall.yaml:29: ")
    assert "write times in quotes" in problems[0]


def test_it_keeps_a_started_rotation_fixed_but_lets_people_join_later(
    session: Session, clock: FakeClock
) -> None:
    apply(session, clock, FILE)
    clock.set(z(2026, 3, 18, 12))
    longer = FILE.replace(
        "        shift_length: 1\n        shift_unit: weeks",
        "        shift_length: 2\n        shift_unit: weeks",
    )
    problems = rejected(session, clock, longer)
    assert problems[0].startswith("oncall.yaml:22: ")
    assert "its shift_length is fixed" in problems[0]
    lee_joins = "          - user: lee@stmarys.example\n            from: 2026-03-23\n"
    joined = FILE.replace(
        "          - priya@stmarys.example\n", "          - priya@stmarys.example\n" + lee_joins
    )
    assert apply(session, clock, joined) == ["update schedule hospital-it-on-call"]
    assert apply(session, clock, joined) == []
    early = joined.replace("from: 2026-03-23", "from: 2026-03-10")
    assert "from 2026-03-17 at the earliest" in rejected(session, clock, early)[0]
