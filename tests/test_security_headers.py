"""Every page says what a browser may do with it: scripts only from Takepoint's own files, no
framing by any site, no type sniffing, no referrer to other sites."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import takepoint
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_user


def test_pages_refuse_inline_script_and_framing(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    login(client, make_user(session, clock))
    for path in ("/", "/login", "/incidents", "/no-such-page"):
        response = client.get(path, follow_redirects=True)
        assert response.headers["content-type"].startswith("text/html"), path
        policy = response.headers["content-security-policy"]
        assert (
            "script-src 'self'" in policy
            and "unsafe-inline" not in policy.split("style-src-attr")[0]
        ), path
        assert "frame-ancestors 'none'" in policy, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path


def test_the_api_answers_are_not_sniffed(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


def test_no_page_template_holds_an_inline_script_or_handler() -> None:
    # The policy would refuse them in the browser; this names the template that has one.
    root = Path(takepoint.__file__).parent
    found = []
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|javascript:", re.I)
    for template in root.rglob("*.html"):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if inline.search(line):
                found.append(f"{template.relative_to(root)}:{number}")
    assert found == []
