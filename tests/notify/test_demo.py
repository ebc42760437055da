"""The demo team can be reached: everyone by work email, Dana by her phone as well."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.demo import DEMO_DOMAIN
from takepoint.accounts.models import User
from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from takepoint.notify.contacts import list_contact_methods, steps_for
from takepoint.notify.models import ContactKind, Urgency


def test_it_gives_every_demo_person_a_way_to_be_reached(session: Session, clock: FakeClock) -> None:
    load_demo(session, now=clock.now())
    people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}

    for key in ("dana", "sam", "priya", "lee", "morgan"):
        methods = list_contact_methods(session, user=people[key])
        assert methods[0].kind is ContactKind.EMAIL
        assert methods[0].target == f"{key}@{DEMO_DOMAIN}"

    dana = people["dana"]
    high = [
        (s.contact_method.label if s.contact_method else "", s.delay_minutes)
        for s in steps_for(session, user=dana, urgency=Urgency.HIGH)
    ]
    assert sorted(high) == [("Phone", 0), ("Phone", 5), ("Work email", 0)]
    low = steps_for(session, user=dana, urgency=Urgency.LOW)
    assert [(s.contact_method.label if s.contact_method else "") for s in low] == ["Work email"]
    assert [
        s.contact_method.label
        for s in steps_for(session, user=people["sam"], urgency=Urgency.HIGH)
        if s.contact_method
    ] == ["Work email"]
