"""The demo organisation's people: a hospital IT team of four and a viewer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, User
from takepoint.lib.registry import Demo

DEMO_PASSWORD = "takepoint-demo"
DEMO_DOMAIN = "stmarys.example"


def demo_loaded(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.email == f"dana@{DEMO_DOMAIN}")) is not None


def load_demo_people(session: Session, demo: Demo) -> None:
    people = {
        key: accounts.create_user(
            session,
            email=f"{key}@{DEMO_DOMAIN}",
            display_name=name,
            role=role,
            time_zone="Europe/London",
            password=DEMO_PASSWORD,
            now=demo.now,
        )
        for key, name, role in [
            ("dana", "Dana Whitfield", Role.RESPONDER),
            ("sam", "Sam Okafor", Role.RESPONDER),
            ("priya", "Priya Raman", Role.RESPONDER),
            ("lee", "Lee Chen", Role.RESPONDER),
            ("morgan", "Morgan Hale", Role.VIEWER),
        ]
    }
    team = accounts.create_team(session, name="Hospital IT", lead=people["dana"], now=demo.now)
    for key in ("sam", "priya", "lee"):
        accounts.add_team_member(session, team=team, user=people[key])
    demo.made["people"] = people
    demo.made["team"] = team
