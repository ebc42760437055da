"""The hospital IT team and their weekly rotation, handing off Mondays 09:00 London time.

The test clock starts on Monday 2 March 2026 at 09:00 UTC, which is 09:00 GMT: the moment the
rotation's first shift (Sam's) begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache

import pytest
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.lib.clock import FakeClock
from takepoint.lib.secrets import hash_password
from takepoint.oncall import service
from takepoint.oncall.compute import ShiftUnit
from takepoint.oncall.models import Schedule
from tests.factories import PASSWORD, make_user

FIRST_MONDAY = date(2026, 3, 2)


@dataclass(frozen=True)
class Team:
    sam: User
    priya: User
    lee: User
    dana: User
    admin: User
    viewer: User


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def team(session: Session, clock: FakeClock) -> Team:
    def person(name: str, role: Role = Role.RESPONDER) -> User:
        user = make_user(
            session,
            clock,
            name=name,
            email=f"{name.split()[0].lower()}@stmarys.example",
            role=role,
            time_zone="Europe/London",
            password=None,
        )
        # Hashing six passwords per test is slow by design; one hash serves them all.
        user.password_hash = password_hash()
        session.commit()
        return user

    return Team(
        sam=person("Sam Okafor"),
        priya=person("Priya Raman"),
        lee=person("Lee Chen"),
        dana=person("Dana Whitfield"),
        admin=person("Ada Admin", Role.ADMIN),
        viewer=person("Morgan Hale", Role.VIEWER),
    )


def make_weekly(
    session: Session,
    clock: FakeClock,
    team: Team,
    *,
    name: str = "Hospital IT on call",
    zone: str = "Europe/London",
) -> Schedule:
    schedule = service.create_schedule(session, name=name, time_zone=zone, now=clock.now())
    service.add_layer(
        session,
        schedule=schedule,
        name="Primary",
        start_date=FIRST_MONDAY,
        handoff_time=time(9),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=[team.sam, team.priya, team.lee, team.dana],
        now=clock.now(),
    )
    session.commit()
    return service.get_schedule(session, schedule.id)


@pytest.fixture
def weekly(session: Session, clock: FakeClock, team: Team) -> Schedule:
    return make_weekly(session, clock, team)
