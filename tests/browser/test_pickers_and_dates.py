"""On a phone: a person picker makes you choose, and a timeline over two days says which day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.desk import service as desk
from takepoint.desk.models import Channel
from takepoint.incidents import service as incidents
from takepoint.lib.clock import FakeClock
from takepoint.reviews import service as reviews
from tests.browsing import sign_in
from tests.factories import PASSWORD
from tests.incidents.world import build_world, phone_incident

pytestmark = pytest.mark.browser


def test_it_makes_you_choose_a_person_and_dates_each_day(
    page: Page, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world)  # Monday 09:00
    incidents.acknowledge(session, incident=incident, user=world.sam, now=clock.now())
    requester = desk.create_requester(session, name="Theatre desk", now=clock.now())
    ticket = desk.open_ticket(
        session,
        requester_id=requester.id,
        title="Theatre label printer offline",
        channel=Channel.PHONE,
        now=clock.now(),
        user=world.sam,
    )
    clock.advance(timedelta(days=1))  # Tuesday 09:00
    incidents.add_note(
        session, incident=incident, user=world.sam, text="Disk on txn-01 full", now=clock.now()
    )
    desk.add_note(
        session,
        ticket_id=ticket.id,
        body="Printer back after restart",
        user=world.sam,
        now=clock.now(),
    )
    review = reviews.start_review(session, incident=incident, user=world.sam, now=clock.now())
    session.commit()

    sign_in(page, "sam@example.org", PASSWORD)
    page.goto(f"/reviews/{review.id}")
    owner = page.get_by_label("Owner")
    expect(owner.locator("option:checked")).to_have_text("Choose a person")
    expect(owner.locator("optgroup").first).to_have_attribute("label", "On call now")
    page.get_by_label("New action item").fill("Add a disk monitor for txn-01")
    page.get_by_label("Due").fill("2026-03-20")
    page.get_by_role("button", name="Add action item").click()
    # The browser refuses the placeholder: nothing was sent, and the picker says why.
    assert owner.evaluate("select => select.validity.valueMissing")
    expect(page.get_by_role("status")).to_have_count(0)
    owner.select_option(label="Lee Chen")
    page.get_by_role("button", name="Add action item").click()
    expect(page.get_by_role("status")).to_contain_text("Lee Chen is told")

    page.goto(f"/desk/tickets/{ticket.id}")
    days = page.locator("h3.tl-day")
    expect(days).to_have_text(["Mon 02 Mar 2026", "Tue 03 Mar 2026"])
    expect(page.locator("h3.tl-day + ol.timeline").last).to_contain_text(
        "09:00 Sam Okafor added an internal note"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "ticket.png", full_page=True)
    timeline = page.locator("section").filter(has=page.locator("#timeline-h"))
    timeline.screenshot(path=tmp_path / "ticket_timeline.png")

    page.goto(f"/incidents/{incident.id}")
    expect(page.locator("ol.timeline").get_by_text("Disk on txn-01 full")).to_be_visible()
    page.screenshot(path=tmp_path / "incident.png", full_page=True)
    timeline.screenshot(path=tmp_path / "incident_timeline.png")
