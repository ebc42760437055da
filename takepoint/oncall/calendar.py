"""ICS (RFC 5545) feeds: one VEVENT per on-call shift, in the schedule's real local time.

Each event carries a TZID and the calendar a VTIMEZONE for it, so a client shows 09:00 on both
sides of a daylight-saving change. UIDs depend only on the schedule and the shift's start, so
when a swap hands a shift to someone else the client updates the event instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

from takepoint.oncall.compute import Segment
from takepoint.oncall.wallclock import zone

PRODID = "-//Takepoint//On-call schedules//EN"


@dataclass(frozen=True)
class Entry:
    schedule_id: int
    schedule_name: str
    time_zone: str
    segment: Segment
    person: str
    via: str
    # Set in a person's feed, where one start can appear once per schedule and person.
    user_id: int | None = None


def event_uid(entry: Entry, domain: str) -> str:
    who = f"-u{entry.user_id}" if entry.user_id is not None else ""
    return f"oncall-{entry.schedule_id}{who}-{entry.segment.start:%Y%m%dT%H%M%SZ}@{domain}"


def build_calendar(
    *, name: str, entries: Sequence[Entry], domain: str, now: datetime, url: str = ""
) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # Clients poll; an hour keeps a swap visible the same morning without hammering the server.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    if url:
        calendar.add("source", url, parameters={"VALUE": "URI"})
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for entry in entries:
        tz = zone(entry.time_zone)
        event = icalendar.Event()
        event.add("uid", event_uid(entry, domain))
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.segment.start.astimezone(tz))
        event.add("dtend", entry.segment.end.astimezone(tz))
        event.add("summary", f"On call: {entry.person} ({entry.schedule_name})")
        event.add(
            "description",
            f"{entry.person} is on call for {entry.schedule_name} ({entry.via}). "
            f"Times are in {entry.time_zone}.",
        )
        # On call is not busy: the calendar should not block meetings.
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    if entries:
        first = min(e.segment.start for e in entries).date() - timedelta(days=400)
        last = max(e.segment.end for e in entries).date() + timedelta(days=400)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = calendar.to_ical()
    return data
