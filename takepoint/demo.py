"""A small, realistic demo organisation: a hospital IT team of four.

Each domain adds its part here, so the demo always shows everything that works.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, User

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
    return True
