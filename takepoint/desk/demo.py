"""The demo hospital's desk: requesters on the wards, in theatres and the pharmacy, and tickets
in each state (one about to breach, one paused, one for a VIP)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Department
from takepoint.desk import rules
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Priority, TicketState, TicketType
from takepoint.lib.registry import Demo


def _department(session: Session, slug: str) -> Department | None:
    return session.scalar(select(Department).where(Department.slug == slug))


def load_demo_desk(session: Session, demo: Demo) -> None:
    now = demo.now
    people: dict[str, User] = demo.made["people"]
    team: Team = demo.made["team"]
    sam, priya = people["sam"], people["priya"]
    pharmacy = catalog.create_department(session, slug="pharmacy", name="Pharmacy", now=now)
    hours = rules.create_calendar(
        session,
        name="Hospital IT hours",
        time_zone="Europe/London",
        weekly=dict.fromkeys(range(5), "08:00-18:00"),
    )
    rules.create_rule(
        session,
        name="P1 around the clock",
        position=1,
        priority=Priority.P1,
        first_response_minutes=15,
        resolution_minutes=4 * 60,
    )
    rules.create_rule(
        session,
        name="VIP",
        position=2,
        vip=True,
        calendar_id=hours.id,
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=4 * 60,
    )
    rules.create_rule(
        session,
        name="P2",
        position=3,
        priority=Priority.P2,
        calendar_id=hours.id,
        first_response_minutes=60,
        next_response_minutes=2 * 60,
        resolution_minutes=8 * 60,
    )
    rules.create_rule(
        session,
        name="Everything else",
        position=10,
        calendar_id=hours.id,
        first_response_minutes=4 * 60,
        next_response_minutes=8 * 60,
        resolution_minutes=30 * 60,
    )
    printing = desk.create_category(session, name="Printing", team_id=team.id)
    accounts = desk.create_category(session, name="Accounts and passwords", team_id=team.id)
    clinical = desk.create_category(session, name="Clinical systems", team_id=team.id)

    wards, theatres, radiology = (
        _department(session, s) for s in ("wards", "theatres", "radiology")
    )

    def person(name: str, department: Department | None, phone: str, *, vip: bool = False) -> int:
        return desk.create_requester(
            session,
            name=name,
            phone=phone,
            vip=vip,
            time_zone="Europe/London",
            now=now,
            department_id=department.id if department is not None else None,
            email=f"{name.split()[-1].lower()}@stmarys.example",
        ).id

    patel = person("Asha Patel", pharmacy, "+44 20 7946 0310")
    obi = person("Grace Obi", wards, "+44 20 7946 0220")
    reid = person("Tom Reid", theatres, "+44 20 7946 0101", vip=True)
    fischer = person("Lena Fischer", radiology, "+44 20 7946 0150")

    printer = desk.open_ticket(
        session,
        requester_id=patel,
        title="Pharmacy label printer prints blank labels",
        description="Called from the dispensary: labels come out blank since this morning.",
        channel=Channel.PHONE,
        priority=Priority.P2,
        category_id=printing.id,
        user=sam,
        now=now - timedelta(hours=3),
    )
    desk.reply(
        session,
        ticket_id=printer.id,
        user=sam,
        now=now - timedelta(hours=2, minutes=40),
        body="Sam here: I am on my way to the dispensary with a spare ribbon.",
    )
    desk.add_note(
        session,
        ticket_id=printer.id,
        user=sam,
        now=now - timedelta(hours=2),
        body="Ribbon was fine; the power cable was half out behind the fridge. Photo taken.",
    )

    login = desk.open_ticket(
        session,
        requester_id=obi,
        title="Ward 7 PC asks for a password nobody knows",
        channel=Channel.WEB,
        category_id=accounts.id,
        now=now - timedelta(days=1),
    )
    desk.reply(
        session,
        ticket_id=login.id,
        user=priya,
        now=now - timedelta(hours=20),
        body="Which PC is it? The asset tag is on a sticker under the screen.",
    )
    desk.set_state(
        session,
        ticket_id=login.id,
        state=TicketState.WAITING_ON_REQUESTER,
        user=priya,
        now=now - timedelta(hours=20),
    )

    # About to breach: the VIP's first response is due in a few minutes and nobody has replied.
    desk.open_ticket(
        session,
        requester_id=reid,
        title="Theatre 2 list display shows yesterday's list",
        type=TicketType.INCIDENT,
        channel=Channel.PHONE,
        priority=Priority.P2,
        category_id=clinical.id,
        user=people["lee"],
        now=now - timedelta(minutes=25),
    )

    viewer = desk.open_ticket(
        session,
        requester_id=fischer,
        title="PACS viewer slow to open studies",
        channel=Channel.WEB,
        priority=Priority.P3,
        category_id=clinical.id,
        now=now - timedelta(days=2),
    )
    desk.reply(
        session,
        ticket_id=viewer.id,
        user=sam,
        now=now - timedelta(days=2) + timedelta(hours=1),
        body="We moved the study cache to the faster disk; please try again.",
    )
    desk.set_state(
        session,
        ticket_id=viewer.id,
        state=TicketState.RESOLVED,
        user=sam,
        now=now - timedelta(days=1),
    )

    desk.open_ticket(
        session,
        requester_id=obi,
        title="Can we get a second printer on ward 7?",
        type=TicketType.QUESTION,
        channel=Channel.WEB,
        priority=Priority.P4,
        category_id=printing.id,
        now=now - timedelta(minutes=50),
    )
