"""Contact methods and rules in configuration files: applied, exported without secrets."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.apply import Action, ApplyRejected, apply_text, export_text
from takepoint.lib.clock import FakeClock
from takepoint.notify.contacts import list_contact_methods, list_rules
from takepoint.notify.models import ContactKind, Urgency
from tests.factories import make_user
from tests.notify.helpers import add_email

FILE = """\
version: 1
users:
  - email: dana@stmarys.example
    name: Dana Whitfield
notifications:
  - user: dana@stmarys.example
    contact_methods:
      - label: Work email
        email: dana@stmarys.example
      - label: Phone
        apprise: "ntfys://dana:s3cret-pass@ntfy.stmarys.example/dana-pager"
      - label: SMS
        apprise: "json://127.0.0.1:9/sms"
    rules:
      high:
        - {via: Work email, after_minutes: 0}
        - {via: Phone, after_minutes: 0}
        - {via: SMS, after_minutes: 2}
      low:
        - {via: Work email}
"""


def _apply(session: Session, clock: FakeClock, text: str) -> list[Action]:
    plan = apply_text(session, text=text, filename="takepoint.yaml", now=clock.now())
    session.commit()
    return [c.action for c in plan.changes if c.kind == "notification settings"]


def _dana(session: Session) -> User:
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "dana@stmarys.example"))
    assert user is not None
    return user


def test_it_creates_methods_in_order_with_their_rules_then_finds_nothing_to_change(
    session: Session, clock: FakeClock
) -> None:
    assert _apply(session, clock, FILE) == [Action.CREATE]
    dana = _dana(session)
    methods = list_contact_methods(session, user=dana)
    assert [(m.label, m.kind) for m in methods] == [
        ("Work email", ContactKind.EMAIL),
        ("Phone", ContactKind.APPRISE),
        ("SMS", ContactKind.APPRISE),
    ]
    rules = sorted(
        (r.urgency, r.contact_method.label, r.delay_minutes) for r in list_rules(session, user=dana)
    )
    assert rules == [
        (Urgency.HIGH, "Phone", 0),
        (Urgency.HIGH, "SMS", 2),
        (Urgency.HIGH, "Work email", 0),
        (Urgency.LOW, "Work email", 0),
    ]
    assert _apply(session, clock, FILE) == []


def test_it_exports_without_secrets_and_reads_its_export_back_unchanged(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, FILE)
    exported = export_text(session)
    assert "s3cret-pass" not in exported
    assert "ntfy.stmarys.example/dana-pager" in exported

    assert _apply(session, clock, exported) == []
    phone = list_contact_methods(session, user=_dana(session))[1]
    assert "s3cret-pass" in phone.target


def test_it_removes_the_methods_an_entry_no_longer_lists_and_leaves_other_people_alone(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, FILE)
    sam = make_user(session, clock, email="sam@stmarys.example")
    add_email(session, clock, sam)
    smaller = FILE.split("      - label: Phone")[0] + "    rules: {}\n"

    assert _apply(session, clock, smaller) == [Action.UPDATE]
    dana = _dana(session)
    assert [m.label for m in list_contact_methods(session, user=dana)] == ["Work email"]
    assert list_rules(session, user=dana) == []
    assert [m.label for m in list_contact_methods(session, user=sam)] == ["Email"]


def test_it_reports_every_problem_with_its_line_and_writes_nothing(
    session: Session, clock: FakeClock
) -> None:
    bad = """\
version: 1
notifications:
  - user: nobody@stmarys.example
    contact_methods:
      - label: Pager
        apprise: "pager://dana"
      - label: Phone
        apprise: "ntfys://d...a@ntfy.stmarys.example/dana-pager"
    rules:
      high:
        - {via: Carrier pigeon}
  - user: lee@stmarys.example
    contact_methods:
      - label: Both
        email: a@stmarys.example
        apprise: "json://127.0.0.1:9/"
"""
    with pytest.raises(ApplyRejected) as caught:
        apply_text(session, text=bad, filename="takepoint.yaml", now=clock.now())
    message = caught.value.message
    assert "takepoint.yaml:3: unknown user 'nobody@stmarys.example'" in message
    assert "takepoint.yaml:6: unknown Apprise scheme 'pager://'" in message
    assert "takepoint.yaml:8: this URL is masked" in message
    assert "takepoint.yaml:11: no contact method labelled 'Carrier pigeon'" in message
    assert "contact method 'Both' needs either email or apprise" in message
    assert session.scalar(select(User.id)) is None
