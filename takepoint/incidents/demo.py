"""The demo's paging: an escalation policy, and the incidents of the last few days.

The first of them is the on-call night this product grew from: at 07:40 a theatre calls about
the clinical app server, whose owner is away; the cause is the transaction server's full disk.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.catalog.models import Department, Service
from takepoint.incidents import policies
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource, TargetKind
from takepoint.notify.models import Notification, Urgency
from takepoint.oncall.models import Schedule

LONDON = ZoneInfo("Europe/London")


def _at(now: datetime, days_ago: int, hh: int, mm: int) -> datetime:
    day = (now.astimezone(LONDON) - timedelta(days=days_ago)).date()
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON)


def load_demo_incidents(
    session: Session,
    *,
    now: datetime,
    people: dict[str, User],
    services: dict[str, Service],
    schedule: Schedule,
    theatres: Department | None,
) -> None:
    policy = policies.create_policy(
        session,
        name="Hospital IT",
        description="On call first, then the service's backup lead, then the team lead.",
        levels=[
            policies.LevelSpec(
                5, [policies.TargetSpec(TargetKind.SCHEDULE, schedule_id=schedule.id)]
            ),
            policies.LevelSpec(5, [policies.TargetSpec(TargetKind.BACKUP_LEAD)]),
            policies.LevelSpec(10, [policies.TargetSpec(TargetKind.TEAM_LEAD)]),
        ],
        repeat=1,
        now=now,
    )
    for service in services.values():
        policies.set_service_paging(
            session, service=service, policy=policy, business_zone="Europe/London"
        )
    sam, dana, priya = people["sam"], people["dana"], people["priya"]

    story = incidents.open_incident(
        session,
        service=services["app-server"],
        title="Clinical app server not responding in theatres",
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        caller_name="Theatre charge nurse",
        caller_department=theatres,
        reporter=sam,
        now=_at(now, 3, 7, 40),
    )
    incidents.acknowledge(session, incident=story, user=sam, now=_at(now, 3, 7, 42))
    for hh, mm, text in [
        (
            7,
            45,
            "Asked Priya (the app server's owner, on leave) by phone: "
            "she suggested rebooting the app server.",
        ),
        (
            7,
            50,
            "Cannot reboot now: a procedure is in progress in theatre 2 (theatre charge nurse).",
        ),
        (8, 10, "Could not reach the theatre coordinator; tried ext. 4412 and bleep 4410."),
        (
            9,
            5,
            "Two hours of app server logs read, no cause found; "
            "asking the duty supervisor to take point.",
        ),
    ]:
        incidents.add_note(session, incident=story, user=sam, text=text, now=_at(now, 3, hh, mm))
    incidents.take_point(session, incident=story, user=dana, now=_at(now, 3, 9, 10))
    incidents.add_note(
        session,
        incident=story,
        user=dana,
        text="txn-01 /var is 100% full; the app server's transactions time out behind it.",
        now=_at(now, 3, 9, 25),
    )
    incidents.resolve(
        session,
        incident=story,
        user=dana,
        note="Freed 40 GB of old transaction logs on txn-01; the app server recovered without a "
        "reboot. Nothing was monitoring txn-01's disk.",
        now=_at(now, 3, 9, 40),
    )

    pacs = incidents.open_incident(
        session,
        service=services["pacs"],
        title="Radiology images slow to open",
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        caller_name="Radiology duty manager",
        reporter=priya,
        now=_at(now, 1, 14, 5),
    )
    incidents.acknowledge(session, incident=pacs, user=priya, now=_at(now, 1, 14, 8))
    incidents.add_note(
        session,
        incident=pacs,
        user=priya,
        text="Image cache volume at 97%; pruning studies older than 30 days.",
        now=_at(now, 1, 14, 20),
    )
    incidents.resolve(
        session,
        incident=pacs,
        user=priya,
        note="Cache pruned; images open in under 2 s again.",
        now=_at(now, 1, 14, 31),
    )

    # The history above was written as it happened; its messages were sent back then, so the
    # outbox must not send them now.
    session.execute(delete(Notification).where(Notification.incident_id.in_([story.id, pacs.id])))
    session.flush()
