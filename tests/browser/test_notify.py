"""Adding a contact method in a real browser and pressing "send me a test notification"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.settings import Settings
from tests.browsing import sign_in
from tests.factories import PASSWORD, make_user
from tests.livesite import LiveServer
from tests.notify.receivers import SmtpReceiver, running_smtp

pytestmark = pytest.mark.browser


@pytest.fixture
def mail_server() -> Iterator[SmtpReceiver]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, mail_server: SmtpReceiver) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": mail_server.host,
            "smtp_port": mail_server.port,
            "smtp_from": "takepoint@stmarys.example",
        }
    )


def test_it_adds_an_email_method_and_a_test_reaches_the_mail_server(
    page: Page,
    live_server: LiveServer,
    session: Session,
    clock: FakeClock,
    mail_server: SmtpReceiver,
) -> None:
    make_user(session, clock, name="Dana Whitfield", email="dana@stmarys.example")
    sign_in(page, "dana@stmarys.example", PASSWORD)
    page.goto("/me")
    page.get_by_role("link", name="How Takepoint reaches you").click()
    expect(page.get_by_role("heading", name="How Takepoint reaches you")).to_be_visible()

    page.get_by_label("Kind").select_option("email")
    page.get_by_label("Label").fill("Work email")
    page.get_by_label("Address or Apprise URL").fill("dana@stmarys.example")
    page.get_by_role("button", name="Add contact method").click()
    expect(page.get_by_role("status").first).to_have_text("Added Work email.")

    page.get_by_role("button", name="Send me a test notification to Work email").click()
    expect(page.get_by_text("Queued")).to_be_visible()

    live_server.app.state.engine.run_cycle()

    (mail,) = mail_server.wait_for(1)
    assert mail.recipients == ("dana@stmarys.example",)
    assert mail.subject == "Takepoint test notification"
    # The status polls the server every 2 s until the engine has sent the message.
    expect(page.get_by_text("Delivered")).to_be_visible()
