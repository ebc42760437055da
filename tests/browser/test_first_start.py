"""`takepoint up` from an empty folder: first start, sign-in in a browser, SIGKILL, restart."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from typer.testing import CliRunner

from takepoint.cli.main import app as cli
from tests.processes import TakepointProcess

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_it_starts_from_nothing_survives_sigkill_and_keeps_every_record(
    tmp_path: Path, browser: Browser
) -> None:
    data = tmp_path / "takepoint-data"
    env = {"TAKEPOINT_DATA_DIR": str(data), "TAKEPOINT_ENGINE_TICK_SECONDS": "0.2"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    first = TakepointProcess(["up", "--port", str(port)], env=env, log=tmp_path / "up1.log")
    try:
        output = first.wait_for_output("Takepoint is serving")
        match = re.search(r"Sign in as (\S+) with password (\S+)\.", output)
        assert match, output
        email, password = match.groups()
        assert (data / "takepoint.db").exists()

        context = browser.new_context(base_url=base)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Good to see you, Administrator")).to_be_visible()
        page.goto("/admin/users")
        page.get_by_label("Display name").fill("Lee Chen")
        page.get_by_label("Email").fill("lee@example.org")
        page.get_by_label("Initial password").fill("lee-password-1")
        page.get_by_role("button", name="Add user").click()
        expect(page.get_by_role("status")).to_have_text("Added Lee Chen.")
        context.close()
    finally:
        first.kill()

    second = TakepointProcess(["up", "--port", str(port)], env=env, log=tmp_path / "up2.log")
    try:
        output = second.wait_for_output("Takepoint is serving")
        assert "First start" not in output
        login = httpx.get(f"{base}/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token
        signed_in = httpx.post(
            f"{base}/login",
            data={
                "email": "lee@example.org",
                "password": "lee-password-1",
                "csrf_token": token.group(1),
            },
            cookies=login.cookies,
        )
        assert signed_in.status_code == 303
        health = httpx.get(f"{base}/healthz", timeout=5)
        for _ in range(50):
            if health.status_code == 200:
                break
            health = httpx.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 200, health.text
        doctor = CliRunner().invoke(cli, ["doctor"], env=env)
        assert doctor.exit_code == 0, doctor.output
    finally:
        assert second.stop() == 0, second.output()
    assert "engine" in second.output() and "stopped after" in second.output()
