"""A timeline shows the date above each day's entries, in the viewer's zone."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.desk import service as desk
from takepoint.desk.models import Channel
from takepoint.incidents import service as incidents
from takepoint.lib.clock import FakeClock
from takepoint.reviews import service as reviews
from takepoint.timeline.chain import entries
from tests.factories import login, make_user
from tests.incidents.world import build_world, phone_incident


def _days(fragment: str) -> list[tuple[str, list[str]]]:
    """Each date heading of a timeline with the times listed under it, in page order."""
    section = fragment.split('id="timeline-h"', 1)[-1]
    parts = re.split(
        r'<h3 class="tl-day[^"]*"><time datetime="[\d-]+">([^<]+)</time></h3>', section
    )
    return [
        (html.unescape(day), re.findall(r'<time datetime="[^"]+">(\d\d:\d\d)</time>', after))
        for day, after in zip(parts[1::2], parts[2::2], strict=True)
    ]


def test_it_heads_each_day_of_a_ticket_timeline_in_the_viewers_zone(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    # Monday 2 March 09:00 UTC is 04:00 in New York; 01:00 UTC on Tuesday is still Monday there.
    agent = make_user(session, clock, name="Kim Park", time_zone="America/New_York")
    requester = desk.create_requester(session, name="Ward 7 desk", now=clock.now())
    ticket = desk.open_ticket(
        session,
        requester_id=requester.id,
        title="Label printer offline",
        channel=Channel.PHONE,
        now=clock.now(),
        user=agent,
    )
    for hours in (16, 24):
        desk.add_note(
            session,
            ticket_id=ticket.id,
            body=f"Checked after {hours} hours",
            user=agent,
            now=clock.now() + timedelta(hours=hours),
        )
    session.commit()
    login(client, agent)

    days = _days(client.get(f"/desk/tickets/{ticket.id}").text)
    assert [day for day, _ in days] == ["Mon 02 Mar 2026", "Tue 03 Mar 2026"]
    assert (days[0][1][0], days[0][1][-1]) == ("04:00", "20:00")
    assert set(days[1][1]) == {"04:00"}


def test_it_heads_each_day_of_an_incident_timeline(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    # The entries the incident page shows, through the shared list it includes.
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world)
    clock.advance(timedelta(hours=15, minutes=30))  # 00:30 UTC on Tuesday, 00:30 in London
    incidents.acknowledge(session, incident=incident, user=world.sam, now=clock.now())
    session.commit()

    listed = app.state.templates.env.get_template("timeline/_entries.html")
    london = listed.render(timeline=entries(session, incident.chain), tz="Europe/London")
    assert [day for day, _ in _days(london)] == ["Mon 02 Mar 2026", "Tue 03 Mar 2026"]
    # Still Monday evening in Los Angeles: one day, one heading.
    pacific = listed.render(timeline=entries(session, incident.chain), tz="America/Los_Angeles")
    assert [day for day, _ in _days(pacific)] == ["Mon 02 Mar 2026"]


def test_it_heads_each_day_of_the_incident_page_timeline(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world)
    clock.advance(timedelta(hours=15, minutes=30))
    incidents.acknowledge(session, incident=incident, user=world.sam, now=clock.now())
    session.commit()
    login(client, world.sam)
    days = _days(client.get(f"/incidents/{incident.id}").text)
    assert [day for day, _ in days] == ["Mon 02 Mar 2026", "Tue 03 Mar 2026"]
    assert days[1][1][0] == "00:30"


def test_it_dates_each_day_of_a_review_timeline(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world)
    clock.advance(timedelta(hours=15, minutes=30))
    incidents.acknowledge(session, incident=incident, user=world.sam, now=clock.now())
    review = reviews.start_review(session, incident=incident, user=world.sam, now=clock.now())
    session.commit()
    lines = review.timeline.splitlines()
    assert lines[0] == "**Mon 02 Mar 2026**"
    assert "**Tue 03 Mar 2026**" in lines
    assert lines[lines.index("**Tue 03 Mar 2026**") + 2].startswith("[00:30]")
    login(client, world.sam)
    page = client.get(f"/reviews/{review.id}").text
    assert "**Tue 03 Mar 2026**" in page  # in the editable textarea
