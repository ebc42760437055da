"""Times in what a person is sent, and on the page a link opens, are in their own zone, named.

A page at 04:00 for someone in New York said "09:00 UTC", leaving the sum to the person just
woken."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify import service as notify
from takepoint.notify.contacts import add_contact_method
from takepoint.notify.models import ContactKind
from tests.incidents.world import build_world, notified, page_sam


def test_a_page_and_its_link_speak_the_zone_of_the_person_woken(
    client: TestClient, db: Database, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    world.sam.time_zone = "America/New_York"
    session.commit()
    path = page_sam(db, session, clock, world).acknowledge  # opened at 09:00 UTC
    body = notified(session, world.sam)[0].body
    assert "Opened: 2026-03-02 04:00 America/New_York" in body
    assert "UTC" not in body
    page = client.get(path)
    assert "Times are shown in America/New_York" in page.text


def test_a_test_message_says_when_in_the_recipients_zone(
    session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    world.dana.time_zone = "Asia/Kolkata"
    method = add_contact_method(
        session,
        user=world.dana,
        kind=ContactKind.EMAIL,
        target="dana@example.org",
        label="Work",
        now=clock.now(),
    )
    row = notify.send_test(session, user=world.dana, contact_method=method, now=clock.now())
    assert re.search(r"sent at 2026-03-02 14:30 Asia/Kolkata\.", row.body), row.body
