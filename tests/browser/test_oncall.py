from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def test_it_builds_a_rotation_shows_who_is_on_call_and_swaps_a_shift(
    page: Page, session: Session, clock: FakeClock
) -> None:
    # The clock reads Monday 2 March 2026, 09:00 in London.
    make_user(session, clock, role=Role.ADMIN, email="ada@example.org", time_zone="Europe/London")
    make_user(session, clock, name="Sam Okafor", email="sam@example.org", time_zone="Europe/London")
    make_user(
        session, clock, name="Priya Raman", email="priya@example.org", time_zone="Europe/London"
    )

    sign_in(page, "ada@example.org", PASSWORD)
    page.get_by_role("link", name="On call").click()
    page.get_by_label("Name").fill("Service desk")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Created Service desk")

    page.locator("#nl-name").fill("Primary")
    page.get_by_label("Each shift lasts").fill("1")
    page.get_by_label("Unit").select_option("days")
    page.get_by_label("First handoff on").fill("2026-03-02")
    page.get_by_label("at (Europe/London)").fill("09:00")
    page.get_by_label("1.", exact=True).select_option(label="Sam Okafor")
    page.get_by_label("2.", exact=True).select_option(label="Priya Raman")
    page.get_by_role("button", name="Add layer").click()
    expect(page.get_by_role("status")).to_have_text("Added Primary.")

    page.get_by_role("link", name="Back to the schedule").click()
    expect(page.locator("#oncall-now-name")).to_have_text("Sam Okafor")
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Who's on call now")).to_be_visible()
    expect(page.get_by_role("cell", name="Sam Okafor")).to_be_visible()
    sign_out(page)

    # Sam offers his next day (Wednesday 4 March) to Priya.
    sign_in(page, "sam@example.org", PASSWORD)
    page.goto("/oncall")
    page.get_by_role("link", name="Service desk").click()
    expect(page.get_by_label("Your shift")).to_contain_text("Wed 04 Mar 09:00")
    page.get_by_label("Ask").select_option(label="Priya Raman")
    page.get_by_role("button", name="Request swap").click()
    expect(page.get_by_role("status")).to_have_text("Swap requested; waiting for Priya Raman.")
    expect(page.get_by_text("pending")).to_be_visible()
    sign_out(page)

    # Priya accepts it from her own page; the shift changes hands.
    sign_in(page, "priya@example.org", PASSWORD)
    page.goto("/oncall/me")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text("Swap accepted: the shifts have changed hands.")
    page.goto("/oncall")
    page.get_by_role("link", name="Service desk").click()
    wednesday = page.locator("ol.days > li", has_text="Wednesday 04 March")
    expect(wednesday).to_contain_text("Priya Raman")
    expect(wednesday).to_contain_text("Primary, swapped")
