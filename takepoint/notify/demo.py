"""The demo's contact methods: everyone by work email, Dana also by push on her phone.

The push topic is on a host under .example, which never resolves: the demo shows what a
contact method looks like without sending anything to a real service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.notify import contacts
from takepoint.notify.models import ContactKind, Urgency

DEMO_PUSH_URL = "ntfys://ntfy.stmarys.example/it-pager-dana"


def load_demo_notify(session: Session, *, now: datetime, people: dict[str, User]) -> None:
    email = {
        key: contacts.add_contact_method(
            session,
            user=user,
            kind=ContactKind.EMAIL,
            target=user.email,
            label="Work email",
            now=now,
        )
        for key, user in people.items()
    }
    dana = people["dana"]
    push = contacts.add_contact_method(
        session, user=dana, kind=ContactKind.APPRISE, target=DEMO_PUSH_URL, label="Phone", now=now
    )
    # Dana leads the team: a page reaches her phone and her inbox at once, and her phone again
    # five minutes on; anything less urgent waits in her inbox.
    for method, delay in ((email["dana"], 0), (push, 0), (push, 5)):
        contacts.add_rule(
            session,
            user=dana,
            urgency=Urgency.HIGH,
            contact_method=method,
            delay_minutes=delay,
            now=now,
        )
    contacts.add_rule(
        session,
        user=dana,
        urgency=Urgency.LOW,
        contact_method=email["dana"],
        delay_minutes=0,
        now=now,
    )
