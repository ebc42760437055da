"""A disruptive runbook step cannot be ticked in the browser until the department's word is in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from tests.browsing import sign_in
from tests.factories import PASSWORD
from tests.incidents.checklist_world import reboot_world

pytestmark = pytest.mark.browser


def test_it_needs_the_departments_confirmation_before_the_reboot_step(
    page: Page, session: Session, clock: FakeClock
) -> None:
    w = reboot_world(session, clock)
    sign_in(page, "sam@example.org", PASSWORD)
    page.goto(f"/incidents/{w.incident.id}")

    page.get_by_role("button", name="Use “App not responding” as checklist").click()
    expect(page.get_by_role("status")).to_contain_text("Checklist started")
    reboot = page.get_by_role("button", name="Tick step 2")
    expect(reboot).to_be_disabled()
    expect(
        page.get_by_text("Needs confirmation from Theatres before it can be ticked")
    ).to_be_visible()

    # Even a form forced past the disabled button is refused by the server.
    reboot.evaluate("button => { button.disabled = false; button.click(); }")
    expect(page.get_by_text("record who in Theatres confirmed it, and when")).to_be_visible()
    page.goto(f"/incidents/{w.incident.id}")

    page.get_by_role("button", name="Tick step 1").click()
    expect(page.get_by_role("status")).to_contain_text("Step 1 done")
    page.get_by_label("Who answered (name or role)").fill("theatre charge nurse")
    page.get_by_label("When they answered (UTC)").fill("2026-03-02T08:58")
    page.get_by_label("What they said", exact=True).fill("no procedure in progress")
    page.get_by_role("button", name="Record confirmation").click()
    expect(page.get_by_role("status")).to_contain_text("step 2 can be ticked")

    page.get_by_role("button", name="Tick step 2").click()
    expect(page.get_by_role("status")).to_contain_text("Step 2 done")
    expect(page.locator("#record-status")).to_contain_text("Record intact")
    expect(
        page.locator("ol.timeline").get_by_text(
            "confirmed by theatre charge nurse (Theatres) at 08:58 UTC"
        )
    ).to_be_visible()
