"""Browser fixtures for every test folder: Debian's Chromium, headless, driven by Playwright.

Loaded once for the whole run (`pytest_plugins` in tests/conftest.py): a second Playwright in
the same thread cannot start while the first is running.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from tests.livesite import LiveServer, serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing; scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with serve(app) as server:
        yield server


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    # A phone-sized viewport: the on-call person opens Takepoint on a phone at 07:40.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    # Every browser test also checks the Content-Security-Policy: whatever a page does, it
    # must not need anything the policy refuses (an inline script, an inline handler, eval).
    refused: list[str] = []
    pg.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield pg
    context.close()
    assert refused == [], f"the page needed what its Content-Security-Policy refuses: {refused}"


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
