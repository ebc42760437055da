from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.lib.clock import FakeClock
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_it_signs_in_and_shows_who_i_am_in_my_zone(
    page: Page, session: Session, clock: FakeClock
) -> None:
    make_user(session, clock, name="Sam Okafor", email="sam@example.org", time_zone="Europe/London")
    sign_in(page, "sam@example.org", PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you, Sam Okafor")).to_be_visible()
    page.get_by_role("link", name="Sam Okafor").click()
    expect(page.get_by_text("Europe/London").first).to_be_visible()
    # 09:00 UTC on 2 March is 09:00 GMT in London.
    expect(page.get_by_text("Mon 02 Mar 2026 09:00 GMT")).to_be_visible()


def test_it_tells_a_wrong_password_plainly(page: Page, session: Session, clock: FakeClock) -> None:
    make_user(session, clock, email="lee@example.org")
    page.goto("/login")
    page.get_by_label("Email").fill("lee@example.org")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_it_lets_an_admin_add_a_user_who_can_then_sign_in(
    page: Page, session: Session, clock: FakeClock
) -> None:
    make_user(session, clock, role=Role.ADMIN, email="admin@example.org")
    sign_in(page, "admin@example.org", PASSWORD)
    page.goto("/admin/users")
    page.get_by_label("Display name").fill("Priya Raman")
    page.get_by_label("Email").fill("priya@example.org")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Initial password").fill("a-long-password")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text("Added Priya Raman.")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "priya@example.org", "a-long-password")
    expect(page.get_by_role("heading", name="Good to see you, Priya Raman")).to_be_visible()
