from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog import graph, runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.models import StepKind
from takepoint.lib.clock import FakeClock
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _hospital(session: Session, clock: FakeClock) -> None:
    priya = make_user(session, clock, name="Priya Raman", email="priya@example.org")
    lee = make_user(session, clock, name="Lee Chen", email="lee@example.org")
    now = clock.now()
    txn = catalog.create_service(
        session, slug="txn-server", name="Transaction server", tier=1, tech_lead=lee, now=now
    )
    catalog.add_host(session, service=txn, hostname="txn-01", role="database")
    app = catalog.create_service(
        session, slug="app-server", name="Clinical app server", tier=1, tech_lead=priya, now=now
    )
    graph.add_dependency(session, service=app, on_service=txn, note="every read and write")
    theatres = catalog.create_department(
        session, slug="theatres", name="Theatres", do_not_disrupt="Theatre in session", now=now
    )
    runbooks.create_runbook(
        session,
        service=app,
        title="Clinical app not responding",
        body="Check the **transaction server** first.",
        steps=[
            runbooks.StepInput(StepKind.CHECK, "Is the disk on txn-01 full?"),
            runbooks.StepInput(StepKind.DISRUPTIVE, "Reboot the app server", theatres),
        ],
        author=priya,
        now=now,
    )
    session.commit()


def test_it_finds_a_service_and_shows_owners_dependencies_and_runbook(
    page: Page, session: Session, clock: FakeClock
) -> None:
    _hospital(session, clock)
    make_user(session, clock, role=Role.VIEWER, email="morgan@example.org")
    sign_in(page, "morgan@example.org", PASSWORD)
    page.get_by_role("link", name="Services").first.click()
    page.get_by_label("Search").fill("txn-01")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("link", name="Transaction server")).to_be_visible()
    page.get_by_label("Search").fill("clinical")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Clinical app server").click()

    expect(page.get_by_role("heading", name="Clinical app server")).to_be_visible()
    owners = page.get_by_role("region", name="Owners")
    expect(owners).to_contain_text("Priya Raman")
    expect(owners).to_contain_text("only Priya Raman knows this service")
    dependencies = page.get_by_role("region", name="Dependencies")
    expect(dependencies.get_by_role("link", name="Transaction server", exact=True)).to_be_visible()
    expect(dependencies).to_contain_text("every read and write")

    page.get_by_role("link", name="Clinical app not responding").click()
    expect(page.get_by_text("Needs confirmation from")).to_be_visible()
    expect(page.get_by_text("transaction server", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Edit runbook")).to_have_count(0)


def test_it_lets_a_responder_edit_a_runbook_and_keeps_the_old_version(
    page: Page, session: Session, clock: FakeClock
) -> None:
    _hospital(session, clock)
    make_user(session, clock, role=Role.RESPONDER, name="Sam Okafor", email="sam@example.org")
    sign_in(page, "sam@example.org", PASSWORD)
    page.goto("/services/app-server")
    page.get_by_role("link", name="Clinical app not responding").click()
    page.get_by_role("link", name="Edit runbook").click()
    page.get_by_label("Step 3", exact=True).fill("Tell the ward before restarting")
    page.get_by_label("Notes (Markdown").fill("Check **txn-01** disk first.")
    page.get_by_label("What changed").fill("ask the ward first")
    page.get_by_role("button", name="Save runbook").click()

    expect(page.get_by_role("status")).to_have_text("Saved as version 2.")
    expect(page.get_by_text("Tell the ward before restarting")).to_be_visible()
    expect(page.get_by_text("Version 2 by Sam Okafor")).to_be_visible()
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("cell", name="ask the ward first")).to_be_visible()
    page.get_by_role("link", name="1", exact=True).click()
    expect(page.get_by_text("You are reading version 1, an old version.")).to_be_visible()


def test_it_refuses_a_viewer_who_tries_to_edit_a_runbook(
    page: Page, session: Session, clock: FakeClock
) -> None:
    _hospital(session, clock)
    make_user(session, clock, role=Role.VIEWER, email="morgan@example.org")
    sign_in(page, "morgan@example.org", PASSWORD)
    page.goto("/services/app-server/runbooks/clinical-app-not-responding/edit")
    expect(page.get_by_role("alert")).to_contain_text("this needs the responder role")
