"""A real IMAP server for the mail tests: Debian's Dovecot on a free loopback port, with a
throw-away configuration and mail folder, stopped after the test.

Any user name logs in with the password `secret` (a static passdb); each user has a Maildir of
their own. Messages are delivered with IMAP APPEND, as any mail client would.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]

from tests.notify.receivers import free_port

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "secret"

_CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
mailbox_idle_check_interval = 1 secs
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self) -> None:
        # Not under pytest's own temporary folder: Dovecot's mail processes run as the
        # `dovecot` user, which must be able to reach the mail folder.
        self.root = Path(tempfile.mkdtemp(prefix="takepoint-dovecot-"))
        self.root.chmod(0o755)
        self.host = "127.0.0.1"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        user = pwd.getpwnam("dovecot")
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, user.pw_uid, user.pw_gid)
        config = self.root / "dovecot.conf"
        config.write_text(_CONFIG.format(root=self.root, port=self.port, password=PASSWORD))
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError(f"dovecot did not start: {self.log()}") from None
                time.sleep(0.02)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client

    def deliver(self, user: str, *messages: bytes, folder: str = "INBOX") -> None:
        """Put messages in a user's folder with IMAP APPEND."""
        client = self.client(user)
        try:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        client = self.client(user)
        try:
            client.select_folder(folder, readonly=True)
            found: dict[int, tuple[bytes, ...]] = client.get_flags(client.search(["ALL"]))
            return found
        finally:
            client.logout()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot-imapd is not installed; scripts/test installs it")
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.stop()
