from __future__ import annotations

from datetime import UTC

import icalendar
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import TokenScope
from takepoint.lib.clock import FakeClock
from takepoint.oncall import feeds, service, swaps
from takepoint.oncall.models import CalendarFeed, Schedule
from tests.factories import make_token
from tests.oncall.conftest import Team, z


def events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return [e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event)]


def test_it_serves_a_feed_whose_events_match_the_final_timeline(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    _, token = feeds.create_feed(session, owner=team.viewer, schedule=weekly, now=clock.now())
    session.commit()
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")

    calendar = icalendar.Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    found = events(response.content)
    result = service.timeline(
        session, schedule=weekly, start=clock.now() - feeds.PAST, end=clock.now() + feeds.FUTURE
    )
    people = service.users_by_id(session, (s.user_id for s in result.final))
    expected = [
        (s.start, s.end, f"On call: {people[s.user_id].display_name} (Hospital IT on call)")
        for s in result.final
        if s.user_id is not None
    ]
    assert [
        (
            e.decoded("DTSTART").astimezone(UTC),
            e.decoded("DTEND").astimezone(UTC),
            str(e["SUMMARY"]),
        )
        for e in found
    ] == expected
    # Real local times: the week after the change starts at 09:00 BST, written as 09:00.
    spring = next(e for e in found if e.decoded("DTSTART") == z(2026, 3, 30, 8))
    assert spring["DTSTART"].params["TZID"] == "Europe/London"
    assert spring.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == "2026-03-30 09:00"
    assert len({str(e["UID"]) for e in found}) == len(found)


def test_it_keeps_event_ids_when_a_swap_changes_the_person(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    _, token = feeds.create_feed(session, owner=team.viewer, schedule=weekly, now=clock.now())
    session.commit()
    before = {
        str(e["UID"]): str(e["SUMMARY"])
        for e in events(client.get(f"/calendar/{token}.ics").content)
    }
    swap = swaps.request_swap(
        session,
        schedule=weekly,
        layer_id=weekly.layers[0].id,
        requester=team.lee,
        counterpart=team.dana,
        give_start=z(2026, 3, 16, 9),
        actor=team.lee,
        now=clock.now(),
    )
    swaps.accept_swap(session, schedule=weekly, swap=swap, actor=team.dana, now=clock.now())
    session.commit()
    after = {
        str(e["UID"]): str(e["SUMMARY"])
        for e in events(client.get(f"/calendar/{token}.ics").content)
    }
    assert after.keys() == before.keys()
    changed = {uid for uid in after if after[uid] != before[uid]}
    assert len(changed) == 1
    assert "Dana Whitfield" in after[changed.pop()]


def test_it_gives_a_person_only_their_own_shifts(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    _, token = feeds.create_feed(session, owner=team.priya, now=clock.now())
    session.commit()
    found = events(client.get(f"/calendar/{token}.ics").content)
    assert found
    assert all("Priya Raman" in str(e["SUMMARY"]) for e in found)


def test_it_stores_only_a_hash_and_stops_working_when_revoked(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    feed, token = feeds.create_feed(session, owner=team.viewer, schedule=weekly, now=clock.now())
    session.commit()
    stored = session.scalars(select(CalendarFeed.token_hash)).all()
    assert token not in stored
    assert len(token) > 40
    feeds.revoke_feed(session, feed_id=feed.id, actor=team.viewer, now=clock.now())
    session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get("/calendar/tpcal_not-a-real-token.ics").status_code == 404


def test_it_hands_out_the_address_once_over_the_api(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    headers = {
        "Authorization": f"Bearer {make_token(session, clock, team.viewer, TokenScope.WRITE)}"
    }
    created = client.post(
        "/api/v1/calendar-feeds", json={"schedule_id": weekly.id}, headers=headers
    )
    assert created.status_code == 201, created.text
    url = created.json()["url"]
    assert url.startswith("http://testserver/calendar/tpcal_")
    listed = client.get("/api/v1/calendar-feeds", headers=headers).json()
    assert [f["id"] for f in listed] == [created.json()["id"]]
    assert "url" not in listed[0]
    assert client.get(url.removeprefix("http://testserver")).status_code == 200
