"""A small hospital IT world for incident tests: people, a service, a rotation and a policy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, Team, User
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Service
from takepoint.engine.loop import Engine
from takepoint.incidents import policies
from takepoint.incidents import service as incidents
from takepoint.incidents.models import EscalationPolicy, Incident, IncidentSource, TargetKind
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Notification, Urgency
from takepoint.oncall import service as oncall
from takepoint.oncall.compute import ShiftUnit
from takepoint.oncall.models import Schedule
from tests.factories import db_context, make_engine, make_user, registry_jobs


@dataclass
class World:
    sam: User  # on call this week
    priya: User  # technical lead of the app server
    lee: User  # backup lead
    dana: User  # team lead
    morgan: User  # director (viewer)
    team: Team
    app_server: Service
    schedule: Schedule
    policy: EscalationPolicy


def build_world(session: Session, clock: FakeClock) -> World:
    now = clock.now()
    sam = make_user(session, clock, name="Sam Okafor", email="sam@example.org")
    priya = make_user(session, clock, name="Priya Raman", email="priya@example.org")
    lee = make_user(session, clock, name="Lee Chen", email="lee@example.org")
    dana = make_user(session, clock, name="Dana Whitfield", email="dana@example.org")
    morgan = make_user(
        session, clock, name="Morgan Hale", email="morgan@example.org", role=Role.VIEWER
    )
    team = accounts.create_team(session, name="Hospital IT", lead=dana, now=now)
    app_server = catalog.create_service(
        session,
        slug="app-server",
        name="App server",
        now=now,
        team=team,
        tech_lead=priya,
        backup_lead=lee,
        tier=1,
    )
    schedule = oncall.create_schedule(
        session, name="Hospital IT weekly", time_zone="Europe/London", now=now
    )
    oncall.add_layer(
        session,
        schedule=schedule,
        name="Primary",
        start_date=(now - timedelta(days=1)).date(),
        handoff_time=time(9, 0),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=[sam],
        now=now,
    )
    policy = policies.create_policy(
        session,
        name="Hospital IT",
        levels=[
            policies.LevelSpec(
                5, [policies.TargetSpec(TargetKind.SCHEDULE, schedule_id=schedule.id)]
            ),
            policies.LevelSpec(5, [policies.TargetSpec(TargetKind.BACKUP_LEAD)]),
        ],
        now=now,
    )
    policies.set_service_paging(session, service=app_server, policy=policy)
    session.commit()
    return World(sam, priya, lee, dana, morgan, team, app_server, schedule, policy)


def paging_engine(db: Database, clock: FakeClock) -> Engine:
    """The real engine, without delivery: for tests that look at the outbox, not a mail server."""
    jobs = registry_jobs(db_context(db), "triage", "escalate", "close_finished", "handoffs")
    return make_engine(db, db_context(db), jobs=jobs)


def notified(session: Session, user: User) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def phone_incident(
    session: Session,
    clock: FakeClock,
    world: World,
    *,
    title: str = "App server down",
    **details: Any,
) -> Incident:
    """A high-urgency incident on the app server, opened from a phone call, now."""
    return incidents.open_incident(
        session,
        service=world.app_server,
        title=title,
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        now=clock.now(),
        **details,
    )


@dataclass
class Paged:
    incident_id: int
    acknowledge: str
    resolve: str


def page_sam(db: Database, session: Session, clock: FakeClock, world: World) -> Paged:
    """Sam on call, paged for a new incident by the real engine: the two links in his message."""
    with db.session() as s:
        incident_id = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="Theatre app down",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        ).id
    paging_engine(db, clock).run_cycle()
    body = notified(session, world.sam)[0].body
    acknowledge = re.search(r"Acknowledge: http://testserver(/act/\S+)", body)
    resolve = re.search(r"Resolve: http://testserver(/act/\S+)", body)
    assert acknowledge and resolve, body
    return Paged(incident_id, acknowledge.group(1), resolve.group(1))
