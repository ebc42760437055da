"""Writing a review in the browser: the blame-language lint answers as you type."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.accounts.demo import DEMO_PASSWORD
from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from tests.browsing import sign_in

pytestmark = pytest.mark.browser


def test_it_flags_blame_while_typing_and_offers_a_rewrite(
    page: Page, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    sign_in(page, "sam@stmarys.example", DEMO_PASSWORD)
    page.goto("/incidents/1")
    page.get_by_role("link", name="Post-incident review").click()
    expect(page.locator("#review-state")).to_have_text("in review")
    expect(page.locator("#lint")).to_contain_text("No blame language found.")

    page.get_by_label("What went badly").fill("Priya should have pruned the old logs weeks ago.")

    expect(page.locator("#lint")).to_contain_text("“should have”")
    expect(page.locator("#lint")).to_contain_text(
        "Pruning the old logs weeks ago would have helped"
    )
    page.get_by_label("What went badly").fill("Nothing pruned the old logs, and nothing warned.")
    expect(page.locator("#lint")).to_contain_text("No blame language found.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status")).to_contain_text("Review saved.")
