from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.desk import links
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Priority, SlaRule
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import Urgency
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user
from tests.incidents.world import build_world

pytestmark = pytest.mark.browser
# Where the lead looks at the pages once (outside the repository, never inside it).


def _desk(session: Session, clock: FakeClock) -> None:
    make_user(session, clock, name="Sam Okafor", email="sam@example.org")
    session.add(
        SlaRule(name="Standard", position=1, first_response_minutes=60, resolution_minutes=480)
    )
    session.flush()
    chief = desk.create_requester(
        session, name="Dr Hale", phone="020 7946 0100", vip=True, now=clock.now()
    )
    desk.open_ticket(
        session,
        requester_id=chief.id,
        title="Cannot open the theatre list",
        priority=Priority.P2,
        channel=Channel.EMAIL,
        now=clock.now(),
    )
    session.commit()


def _shoot(page: Page, tmp_path: Path, name: str) -> None:
    # Kept with the test's other files, to look at when a layout changes.
    page.screenshot(path=tmp_path / name, full_page=True)


def test_it_logs_a_call_replies_notes_and_pauses_the_clock(
    page: Page, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    _desk(session, clock)
    sign_in(page, "sam@example.org", PASSWORD)

    page.goto("/desk/call")
    lookup = page.get_by_label("Find the caller by name, phone or email")
    expect(lookup).to_be_focused()
    lookup.fill("Bo Porter")
    page.get_by_role("button", name="Find caller").click()
    expect(page.locator("#no-match")).to_contain_text("Nobody matches")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Bo Porter")
    page.get_by_label("Phone", exact=True).fill("020 7946 0555")
    page.get_by_label("What is wrong").fill("Label printer in pharmacy prints blank labels")
    page.get_by_label("Details").fill("Since this morning; the ribbon was replaced last week.")
    # No priority chosen: impact and urgency give it by the matrix (high x medium is P2).
    expect(page.get_by_label("Priority")).to_have_value("")
    page.get_by_label("Impact (how many)").select_option("high")
    page.get_by_label("Urgency (how soon)").select_option("medium")
    _shoot(page, tmp_path, "desk_call.png")
    page.get_by_role("button", name="Open ticket").click()

    expect(page.get_by_role("status")).to_contain_text("logged for Bo Porter")
    expect(page.locator("#ticket-priority")).to_have_text("P2")
    expect(page.locator("#requester")).to_contain_text("Bo Porter")
    expect(page.locator("#clock-first_response")).to_have_attribute("data-state", "running")
    expect(page.locator("#sla-reason")).to_have_text("rule 'Standard': it matches every ticket")

    clock.advance(timedelta(minutes=12))
    page.get_by_label("Reply to requester").check()
    page.get_by_label("Message").fill("Can you send a photo of a blank label?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")

    page.get_by_label("Internal note", exact=True).check()
    page.get_by_label("Message").fill("Probably the thermal head; spare in cupboard B.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Internal note added")

    page.get_by_role("button", name="Waiting on requester").click()
    expect(page.locator("#ticket-state")).to_have_text("Waiting on requester")
    expect(page.locator("#clock-first_response")).to_have_attribute("data-state", "met")
    expect(page.locator("#clock-resolution")).to_contain_text("paused")
    expect(page.locator("#assignee")).to_have_text("Sam Okafor")

    note = page.locator("li.msg-note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Internal note — the requester never sees this")
    expect(note).to_contain_text("thermal head")
    expect(page.locator("li.msg-public")).to_contain_text("photo of a blank label")
    expect(page.locator("ol.timeline")).to_contain_text("added an internal note")
    _shoot(page, tmp_path, "desk_ticket.png")

    page.goto("/desk?view=all")
    rows = page.locator("li.ticket-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Label printer in pharmacy")
    expect(rows.nth(0)).to_contain_text("paused")
    expect(rows.nth(1)).to_contain_text("VIP")
    expect(rows.nth(1)).to_contain_text("due Mon 10:00")
    page.get_by_label("Search tickets").fill("Hale")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    page.goto("/desk?view=all")
    _shoot(page, tmp_path, "desk_queue.png")

    # Both at once: Dr Hale's ticket was nobody's.
    for pick in page.locator("input.pick").all():
        pick.check()
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_contain_text("2 tickets assigned to Sam Okafor")
    expect(rows.nth(1)).to_contain_text("Sam Okafor")

    rows.nth(1).get_by_role("link").first.click()
    page.locator("#requester").get_by_role("link", name="Dr Hale").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dr Hale")
    expect(page.get_by_role("region", name="Tickets")).to_contain_text("theatre list")
    _shoot(page, tmp_path, "desk_requester.png")


def test_the_incident_page_shows_its_desk_tickets(
    page: Page, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    world = build_world(session, clock)
    agent = make_user(session, clock, name="Sam Okafor", email="desk.agent@example.org")
    incident = incidents.open_incident(
        session,
        service=world.app_server,
        title="Theatre app down",
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        now=clock.now(),
    )
    for name in ("Dr Hale", "Theatre 2 desk"):
        requester = desk.create_requester(session, name=name, now=clock.now())
        ticket = desk.open_ticket(
            session,
            requester_id=requester.id,
            title=f"Theatre list will not load ({name})",
            channel=Channel.PHONE,
            now=clock.now(),
        )
        links.link(
            session, ticket_id=ticket.id, incident_id=incident.id, user=agent, now=clock.now()
        )
    session.commit()
    sign_in(page, "desk.agent@example.org", PASSWORD)

    page.goto(f"/incidents/{incident.id}")
    card = page.get_by_role("region", name="Service desk tickets")
    expect(card).to_contain_text("2 tickets linked")
    expect(card.get_by_role("link")).to_have_count(2)
    card.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "incident_desk_tickets.png")
    card.get_by_role("link", name=re.compile("Dr Hale")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Theatre list will not load")
