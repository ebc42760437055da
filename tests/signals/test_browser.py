"""The signals pages in headless Chromium, on a phone-sized screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import IntegrationKind
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user
from tests.signals.conftest import make_integration

pytestmark = pytest.mark.browser


def test_it_lets_an_admin_create_a_heartbeat_and_see_its_ping_url_once(
    page: Page, session: Session, clock: FakeClock, service: Service
) -> None:
    make_user(session, clock, role=Role.ADMIN, email="admin@example.org")
    sign_in(page, "admin@example.org", PASSWORD)
    page.get_by_role("link", name="Alerts").first.click()
    page.get_by_role("link", name="Integrations").click()
    page.get_by_label("Kind").select_option("heartbeat")
    page.get_by_label("Name (optional)").fill("Nightly backup")
    page.get_by_label("Cron expression (empty for a fixed period)").fill("0 2 * * *")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("This job is a backup").check()
    page.get_by_role("button", name="Create and show the key").click()
    expect(page.get_by_role("heading", name="The key, shown this once")).to_be_visible()
    key = page.locator("#the-key").inner_text()
    expect(page.get_by_text("every day at 02:00 Europe/London, grace 1 h")).to_be_visible()
    expect(page.locator("pre.payload").first).to_contain_text(f"/ping/{key}")

    page.request.get(f"/ping/{key}/start")
    page.goto("/signals/integrations")
    page.get_by_role("link", name="Nightly backup").click()
    expect(page.get_by_text("running")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(key)


def test_it_lets_a_responder_acknowledge_from_the_alerts_list(
    page: Page, session: Session, clock: FakeClock, service: Service
) -> None:

    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    make_user(session, clock, role=Role.RESPONDER, email="sam@example.org")
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "disk /var 96% full", "source": "txn-01", "severity": "critical"},
    }
    assert page.request.post("/v2/enqueue", data=event).status == 202
    sign_in(page, "sam@example.org", PASSWORD)
    page.goto("/alerts")
    page.get_by_role("link", name="disk /var 96% full").click()
    expect(page.get_by_role("heading", name="Raw payload")).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_have_text("Acknowledged.")
    expect(page.get_by_text("acknowledged", exact=True)).to_be_visible()
