"""A bad catalog file is refused whole, every problem named with its file and line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Department, Service
from takepoint.lib.apply import ApplyRejected, apply_text
from takepoint.lib.clock import FakeClock


def _rejected(session: Session, clock: FakeClock, text: str) -> list[str]:
    with pytest.raises(ApplyRejected) as caught:
        apply_text(session, text=text, filename="catalog.yaml", now=clock.now())
    session.rollback()
    return caught.value.message.splitlines()


def _nothing_written(session: Session) -> None:
    for model in (User, Team, Department, Service):
        assert session.scalar(select(func.count()).select_from(model)) == 0


def test_it_refuses_an_unknown_field_with_its_line(session: Session, clock: FakeClock) -> None:
    text = """\
users:
  - email: priya@stmarys.example
    name: Priya Raman
services:
  - slug: app-server
    name: Clinical app server
    ownr: priya@stmarys.example
"""
    assert _rejected(session, clock, text) == [
        "catalog.yaml:7: unknown field 'ownr'",
        "1 error; nothing was applied.",
    ]
    _nothing_written(session)


def test_it_suggests_the_field_that_was_meant(session: Session, clock: FakeClock) -> None:
    text = "services:\n  - slug: app\n    name: App\n    teir: 1\n"
    assert _rejected(session, clock, text)[0] == (
        "catalog.yaml:4: unknown field 'teir' (did you mean 'tier'?)"
    )


def test_it_refuses_an_unknown_owner_with_its_line(session: Session, clock: FakeClock) -> None:
    text = """\
departments:
  - slug: theatres
    name: Theatres
services:
  - slug: app-server
    name: Clinical app server
    tech_lead: nobody@stmarys.example
"""
    assert _rejected(session, clock, text) == [
        "catalog.yaml:7: unknown user 'nobody@stmarys.example' as tech lead",
        "1 error; nothing was applied.",
    ]
    _nothing_written(session)


def test_it_refuses_a_cycle_naming_it(session: Session, clock: FakeClock) -> None:
    text = """\
services:
  - slug: app-server
    name: App
    depends_on:
      - service: txn-server
  - slug: txn-server
    name: Transactions
    depends_on:
      - service: app-server
"""
    assert _rejected(session, clock, text) == [
        "catalog.yaml:5: dependency cycle: app-server → txn-server → app-server",
        "1 error; nothing was applied.",
    ]
    _nothing_written(session)


def test_it_finds_a_cycle_through_services_already_in_takepoint(
    session: Session, clock: FakeClock
) -> None:
    apply_text(
        session,
        text="services:\n  - slug: a\n    name: A\n  - slug: b\n    name: B\n    depends_on:\n"
        "      - service: a\n",
        filename="first.yaml",
        now=clock.now(),
    )
    session.commit()
    lines = _rejected(
        session, clock, "services:\n  - slug: a\n    name: A\n    depends_on:\n      - service: b\n"
    )
    assert lines[0] == "catalog.yaml:5: dependency cycle: a → b → a"


def test_it_reports_every_problem_at_once(session: Session, clock: FakeClock) -> None:
    text = """\
users:
  - email: priya@stmarys.example
    name: Priya
    tz: UTC
services:
  - slug: app-server
    name: App
    tier: 7
    team: nope
    departments: [radiology]
    depends_on:
      - host: ghost-01
    runbooks:
      - slug: reboot
        title: Reboot
        steps:
          - kind: disruptive
            text: Reboot it
  - slug: Bad Slug
    name: x
"""
    assert _rejected(session, clock, text) == [
        "catalog.yaml:4: unknown field 'tz'",
        "catalog.yaml:8: tier: input should be less than or equal to 4",
        "catalog.yaml:17: runbooks[1].steps[1]: a disruptive step needs confirm_with: the "
        "department to ask",
        "catalog.yaml:19: slug: 'Bad Slug' is not a slug: lowercase letters, digits and dashes, "
        "starting with a letter",
        "4 errors; nothing was applied.",
    ]


def test_it_checks_references_of_valid_entries_even_when_others_are_invalid(
    session: Session, clock: FakeClock
) -> None:
    text = """\
services:
  - slug: broken
    name: Broken
    tier: 0
  - slug: app
    name: App
    team: nope
    backup_lead: ghost@x.org
    depends_on:
      - service: broken
      - service: missing
"""
    assert _rejected(session, clock, text) == [
        "catalog.yaml:4: tier: input should be greater than or equal to 1",
        "catalog.yaml:7: unknown team 'nope'",
        "catalog.yaml:8: unknown user 'ghost@x.org' as backup lead",
        "catalog.yaml:11: unknown service 'missing'",
        "4 errors; nothing was applied.",
    ]


def test_it_refuses_what_is_not_yaml_or_not_a_catalog(session: Session, clock: FakeClock) -> None:
    assert _rejected(session, clock, "services:\n  - slug: [unclosed\n")[0].startswith(
        "catalog.yaml:3: not valid YAML"
    )
    assert _rejected(session, clock, "- just\n- a list\n")[0] == (
        "catalog.yaml:1: the file must be a mapping of sections"
    )
    assert _rejected(session, clock, "servics: []\n")[0] == (
        "catalog.yaml:1: unknown section 'servics' (did you mean 'services'?)"
    )
    assert _rejected(session, clock, "services:\n  - slug: a\n    name: A\n    name: B\n")[0] == (
        "catalog.yaml:4: duplicate key 'name' (first at line 3)"
    )
    assert (
        _rejected(
            session, clock, "services:\n  - slug: a\n    name: A\n  - slug: a\n    name: B\n"
        )[0]
        == "catalog.yaml:4: duplicate service 'a' (first at line 2)"
    )


def test_it_refuses_the_same_person_as_both_leads(session: Session, clock: FakeClock) -> None:
    text = """\
users:
  - email: priya@stmarys.example
    name: Priya
services:
  - slug: app
    name: App
    tech_lead: priya@stmarys.example
    backup_lead: PRIYA@stmarys.example
"""
    assert _rejected(session, clock, text)[0] == (
        "catalog.yaml:8: the backup lead must be someone other than the tech lead "
        "(priya@stmarys.example)"
    )


def test_it_never_leaves_takepoint_without_an_admin(session: Session, clock: FakeClock) -> None:
    apply_text(
        session,
        text="users:\n  - email: boss@x.org\n    name: Boss\n    role: admin\n",
        filename="first.yaml",
        now=clock.now(),
    )
    session.commit()
    text = "users:\n  - email: boss@x.org\n    name: Boss\n    role: viewer\n"
    assert _rejected(session, clock, text)[0] == (
        "catalog.yaml:4: this would leave Takepoint without an active admin"
    )
