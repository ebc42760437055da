"""The desk's settings on a phone: an admin moves a rule, counts a target in calendar time,
changes its warning, then changes one cell of the priority matrix and looks at the canned
replies."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.desk import canned, matrix, rules
from takepoint.desk.models import Level, Priority, SlaRule
from takepoint.lib.clock import FakeClock
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _settings(session: Session, clock: FakeClock) -> None:
    make_user(session, clock, role=Role.ADMIN, name="Dana Fox", email="dana@example.org")
    hours = rules.create_calendar(
        session,
        name="Hospital IT hours",
        time_zone="Europe/London",
        weekly=dict.fromkeys(range(5), "08:00-18:00"),
    )
    rules.create_rule(
        session, name="P1", position=1, priority=Priority.P1, first_response_minutes=15
    )
    rules.create_rule(
        session,
        name="P2 office",
        position=2,
        priority=Priority.P2,
        calendar_id=hours.id,
        first_response_minutes=60,
        resolution_minutes=480,
    )
    canned.create(
        session,
        name="Password reset",
        body="Hello {requester_first_name}, your password is reset. {agent_name}",
    )
    session.commit()


def _shoot(page: Page, tmp_path: Path, name: str) -> None:
    # Kept with the test's other files, to look at when a layout changes.
    page.screenshot(path=tmp_path / name, full_page=True)


def test_it_edits_a_rule_and_a_matrix_cell_on_a_phone(
    page: Page, session: Session, clock: FakeClock, tmp_path: Path
) -> None:
    _settings(session, clock)
    sign_in(page, "dana@example.org", PASSWORD)

    page.goto("/desk/settings")
    page.get_by_role("link", name="Edit the rule P2 office").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the SLA rule P2 office")
    page.get_by_label("Position").fill("5")
    page.get_by_label("First response counts").select_option("calendar")
    page.get_by_label("Warn the assignee at").fill("60")
    _shoot(page, tmp_path, "desk_settings_rule.png")
    page.get_by_role("button", name="Save rule").click()

    expect(page.get_by_role("status")).to_have_text("Saved the SLA rule P2 office.")
    rule = page.locator("ul.desk-rules li").nth(1)
    expect(rule).to_contain_text("5 · P2 office")
    expect(rule).to_contain_text("first response 60 min (every hour)")
    expect(rule).to_contain_text("Warns at 60%.")
    _shoot(page, tmp_path, "desk_settings.png")
    page.locator("section[aria-labelledby=rules-h]").screenshot(path=tmp_path / "desk_rules.png")
    stored = session.scalars(select(SlaRule).where(SlaRule.name == "P2 office")).one()
    session.refresh(stored)
    assert (stored.position, stored.first_response_business, stored.warn_percent) == (5, False, 60)

    page.get_by_role("link", name="Priority matrix").click()
    page.get_by_label("Impact high, urgency low").select_option("p2")
    page.get_by_role("button", name="Save matrix").click()

    expect(page.get_by_role("status")).to_contain_text("1 cell changed")
    expect(page.locator("#cell-high_low")).to_have_attribute("data-changed", "true")
    expect(page.locator("#cell-high_low")).to_contain_text("changed · default P3")
    expect(page.locator("td[data-changed]")).to_have_count(1)
    _shoot(page, tmp_path, "desk_settings_matrix.png")
    session.expire_all()
    assert matrix.priority_for(session, Level.HIGH, Level.LOW) is Priority.P2

    page.get_by_role("link", name="Canned replies").click()
    expect(page.locator("ul.desk-canned li")).to_contain_text("Password reset")
    expect(page.locator("#canned-placeholders")).to_contain_text("{ticket_number}")
    _shoot(page, tmp_path, "desk_settings_canned.png")
