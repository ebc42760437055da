from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from takepoint.app import create_app
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.notify.models import Urgency
from tests.browsing import sign_in
from tests.factories import PASSWORD, db_context, make_engine
from tests.incidents.world import build_world
from tests.livesite import serve
from tests.notify.receivers import SmtpReceiver, smtp_server

__all__ = ["smtp_server"]
pytestmark = pytest.mark.browser


def test_it_acknowledges_from_the_email_link_then_hands_off(
    browser: Browser,
    db: Database,
    session: Session,
    clock: FakeClock,
    settings: Settings,
    smtp_server: SmtpReceiver,
) -> None:
    mail = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    world = build_world(session, clock)
    with db.session() as s:
        incident_id = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="Theatre app down",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            caller_name="Theatre charge nurse",
            now=clock.now(),
        ).id
    app = create_app(mail, registry=db_context(db).registry, clock=clock, db=db)
    engine = make_engine(db, db_context(db), settings=mail)
    engine.run_cycle()
    email = smtp_server.wait_for(1)[0]
    assert email.recipients == ("sam@example.org",)
    link = re.search(r"Acknowledge: https?://[^/\s]+(/act/\S+)", email.text)
    assert link

    with serve(app) as live:
        context = browser.new_context(base_url=live.url, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(link.group(1))
        expect(page.get_by_role("heading", name=f"#{incident_id} Theatre app down")).to_be_visible()
        page.get_by_role("button", name="Confirm: acknowledge and take point").click()
        expect(page.get_by_role("status")).to_contain_text("Sam Okafor is the point person")

        sign_in(page, "sam@example.org", PASSWORD)
        page.goto(f"/incidents/{incident_id}")
        expect(page.locator("#point-person")).to_have_text("Sam Okafor")
        page.get_by_label("Hand off to").select_option(label="Lee Chen")
        page.get_by_role("button", name="Hand off").click()
        expect(page.get_by_role("status")).to_contain_text("You stay point until they accept")
        expect(page.locator("#point-person")).to_have_text("Sam Okafor")
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, "lee@example.org", PASSWORD)
        page.goto(f"/incidents/{incident_id}")
        page.get_by_role("button", name="Accept point").click()
        expect(page.locator("#point-person")).to_have_text("Lee Chen")
        expect(page.get_by_text("Lee Chen accepted point from Sam Okafor")).to_be_visible()
        expect(page.locator("#record-status")).to_contain_text("Record intact")
        context.close()
