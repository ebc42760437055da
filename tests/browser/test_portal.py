"""The requester portal on a phone: an emailed link, a ticket with a photo, IT's public reply,
the proof and the root cause shown kindly, and never an internal note or its file."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.app import create_app
from takepoint.desk import attachments
from takepoint.desk import service as desk
from takepoint.desk.models import Ticket
from takepoint.incidents.evidence import evidence_root
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from tests.desk.test_portal import ZIP, png
from tests.factories import db_context, make_engine, make_user
from tests.livesite import serve
from tests.notify.receivers import SmtpReceiver, smtp_server

__all__ = ["smtp_server"]
pytestmark = pytest.mark.browser

NOTE = "Internal: her laptop is due for replacement anyway"
NOTE_FILE = "asset-register-extract.png"
CAUSE = "The drum unit's power lead had come loose at the back of the printer."


def _shoot(page: Page, tmp_path: Path, name: str) -> None:
    # Kept with the test's other files, to look at when a layout changes.
    page.screenshot(path=tmp_path / name, full_page=True)


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


_LOADED = (
    "Array.from(document.querySelectorAll('img.thumb'))"
    ".filter(img => img.complete && img.naturalWidth > 0).length"
)


def _images_loaded(page: Page, expected: int) -> int:
    """How many thumbnails the browser decoded (a broken image has no width), once `expected`
    have, or after five seconds: thumbnails load after the page does."""
    with contextlib.suppress(PlaywrightTimeout):
        # A function, not an expression: Playwright polls an expression with eval(), which the
        # page's Content-Security-Policy rightly refuses.
        page.wait_for_function(f"() => {_LOADED} >= {expected}", timeout=5000)
    loaded: int = page.evaluate(_LOADED)
    return loaded


def _it_answers(
    db: Database, settings: Settings, clock: FakeClock, agent_id: int, ticket_id: int
) -> None:
    """What Sam does on the agent's side: a reply, an internal note with a file, and the
    proof and the root cause, shown to the requester."""
    with db.session() as s:
        agent = s.get(User, agent_id)
        ticket = s.get(Ticket, ticket_id)
        assert agent is not None and ticket is not None
        root = evidence_root(settings)
        desk.reply(
            s,
            ticket_id=ticket_id,
            body="A new drum is on its way; it comes this afternoon.",
            user=agent,
            now=clock.now(),
        )
        note = desk.add_note(s, ticket_id=ticket_id, body=NOTE, user=agent, now=clock.now())
        for name, message_id, shared, caption in (
            (NOTE_FILE, note.id, False, "Bought 2019"),
            ("printer-back.png", None, True, "The lead at the back, loose"),
        ):
            attachments.add(
                s,
                ticket=ticket,
                stream=io.BytesIO(png(120, 80)),
                filename=name,
                caption=caption,
                user=agent,
                shared=shared,
                message_id=message_id,
                now=clock.now(),
                root=root,
                max_bytes=settings.evidence_max_bytes,
            )
        attachments.set_root_cause(
            s, ticket=ticket, text=CAUSE, shared=True, user=agent, now=clock.now()
        )
        s.commit()


def test_it_sends_a_photo_and_sees_replies_and_proof_but_never_notes(
    browser: Browser,
    db: Database,
    session: Session,
    clock: FakeClock,
    settings: Settings,
    smtp_server: SmtpReceiver,
    tmp_path: Path,
) -> None:
    mail = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    desk.create_requester(session, name="Ada Ward", email="ada@stmarys.example", now=clock.now())
    agent_id = make_user(session, clock, name="Sam Okafor", email="sam@example.org").id
    app = create_app(mail, registry=db_context(db).registry, clock=clock, db=db)
    engine = make_engine(db, db_context(db), settings=mail)

    with serve(app) as live:
        context = browser.new_context(base_url=live.url, viewport={"width": 390, "height": 844})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/portal")
        page.get_by_label("Email").fill("ada@stmarys.example")
        page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("status")).to_contain_text("if we know that address")

        # The link comes from the real SMTP server's mail, as the requester would read it.
        engine.run_cycle()
        email = smtp_server.wait_for(1)[0]
        assert email.recipients == ("ada@stmarys.example",)
        link = re.search(r"https?://[^/\s]+(/portal/signin/\S+)", email.text)
        assert link, email.text

        page.goto(link.group(1))
        expect(page.get_by_text("Signing in as Ada Ward")).to_be_visible()
        _fits_the_phone(page)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Your tickets")).to_be_visible()

        page.get_by_role("link", name="New ticket").first.click()
        page.get_by_label("What do you need?").fill("Ward printer jams on every page")
        page.get_by_label("Details").fill("Bay 3, since this morning.")
        page.get_by_label("A photo or a file").set_input_files(
            files=FilePayload(name="printer.png", mimeType="image/png", buffer=png(160, 120))
        )
        _fits_the_phone(page)
        _shoot(page, tmp_path, "portal_new.png")
        page.get_by_role("button", name="Send to IT").click()
        expect(page.get_by_role("status")).to_contain_text("sent to IT")
        found = re.search(r"/portal/tickets/(\d+)", page.url)
        assert found, page.url
        ticket_id = int(found.group(1))
        expect(page.get_by_role("img", name="printer.png")).to_be_visible()
        assert _images_loaded(page, 1) == 1

        _it_answers(db, mail, clock, agent_id, ticket_id)
        page.reload()
        expect(page.get_by_text("A new drum is on its way")).to_be_visible()
        expect(page.get_by_text("Sam Okafor (IT)")).to_be_visible()
        expect(page.get_by_role("heading", name="What caused it")).to_be_visible()
        cause = page.locator("#cause")
        expect(cause).to_contain_text(CAUSE)
        expect(cause.get_by_role("img", name="The lead at the back, loose")).to_be_visible()
        assert _images_loaded(page, 2) == 2
        html = page.content()
        for secret in ("replacement anyway", NOTE_FILE, "Bought 2019", "Internal note"):
            assert secret not in html

        # A file the desk refuses: the form comes back with the words kept and the error
        # under the file field, and nothing is sent.
        page.get_by_label("Your message").fill("Thank you, I will be on the ward.")
        page.get_by_label("A photo or a file").set_input_files(
            files=FilePayload(name="rota.docx", mimeType="application/zip", buffer=ZIP)
        )
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#file-error")).to_contain_text("a ZIP archive")
        expect(page.get_by_label("Your message")).to_have_value("Thank you, I will be on the ward.")
        _fits_the_phone(page)
        _shoot(page, tmp_path, "portal_refused.png")

        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("status")).to_contain_text("Message sent to IT")
        expect(page.get_by_text("Thank you, I will be on the ward.")).to_be_visible()
        assert "replacement anyway" not in page.content()
        _fits_the_phone(page)
        _shoot(page, tmp_path, "portal_ticket.png")

        page.goto("/portal/tickets")
        expect(page.get_by_text("Ward printer jams on every page")).to_be_visible()
        assert "replacement anyway" not in page.content()
        _shoot(page, tmp_path, "portal_tickets.png")

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("Signed out")
        page.goto(f"/portal/tickets/{ticket_id}")
        expect(page.get_by_role("button", name="Send me a link")).to_be_visible()
        context.close()
