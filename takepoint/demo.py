"""A small, realistic demo organisation: a hospital IT team of four.

Each domain adds its part here, so the demo always shows everything that works.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, User
from takepoint.catalog.demo import load_demo_catalog
from takepoint.catalog.models import Department
from takepoint.incidents.demo import load_demo_incidents
from takepoint.notify.demo import load_demo_notify
from takepoint.oncall.demo import load_demo_oncall
from takepoint.reviews.demo import load_demo_reviews
from takepoint.signals.demo import load_demo_signals

DEMO_PASSWORD = "takepoint-demo"
DEMO_DOMAIN = "stmarys.example"


def _demo_loaded(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.email == f"dana@{DEMO_DOMAIN}")) is not None


def load_demo(session: Session, *, now: datetime) -> bool:
    """Load the demo organisation once; returns False when it is already there."""
    if _demo_loaded(session):
        return False
    people = {
        key: accounts.create_user(
            session,
            email=f"{key}@{DEMO_DOMAIN}",
            display_name=name,
            role=role,
            time_zone="Europe/London",
            password=DEMO_PASSWORD,
            now=now,
        )
        for key, name, role in [
            ("dana", "Dana Whitfield", Role.RESPONDER),
            ("sam", "Sam Okafor", Role.RESPONDER),
            ("priya", "Priya Raman", Role.RESPONDER),
            ("lee", "Lee Chen", Role.RESPONDER),
            ("morgan", "Morgan Hale", Role.VIEWER),
        ]
    }
    team = accounts.create_team(session, name="Hospital IT", lead=people["dana"], now=now)
    for key in ("sam", "priya", "lee"):
        accounts.add_team_member(session, team=team, user=people[key])
    services = load_demo_catalog(session, now=now, people=people, team=team)
    schedule = load_demo_oncall(session, now=now, people=people, team=team)
    load_demo_signals(session, now=now)
    load_demo_notify(session, now=now, people=people)
    load_demo_incidents(
        session,
        now=now,
        people=people,
        services=services,
        schedule=schedule,
        theatres=session.scalar(select(Department).where(Department.slug == "theatres")),
    )
    settings = session.info.get("settings")
    load_demo_reviews(
        session,
        now=now,
        people=people,
        services=services,
        evidence_root=settings.data_dir / "evidence" if settings is not None else None,
    )
    return True
