"""Talking to a mailbox's IMAP server with imapclient: connecting step by step (so a failure
names the step), fetching what is new by UID, marking what was imported, and IDLE.

Nothing here relies on the \\Seen flag: messages are fetched with BODY.PEEK[] (which leaves it
alone) and found by UID above the last one stored; another mail client reading the mailbox
changes nothing. A new UIDVALIDITY means the folder's UIDs were renumbered, and fetching
starts again from the first message (the store drops the Message-IDs it has).
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import LoginError  # type: ignore[import-untyped]

from takepoint.mail.models import AfterImport, Auth, Security

TIMEOUT_SECONDS = 10.0
# RFC 2177: a client re-issues IDLE at least every 29 minutes; servers drop it at 30.
IDLE_RENEW_SECONDS = 10 * 60
# Network and protocol failures of an established connection.
NETWORK_ERRORS = (OSError, imaplib.IMAP4.error)


class ImapProblem(Exception):
    """What failed, at which step: dns, connect, tls, login or folder."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        # The steps that passed before this one (for "test connection").
        self.passed: list[str] = []


@dataclass(frozen=True)
class Account:
    """What a connection needs, read from the mailbox row (and its secret) in one go."""

    mailbox_id: int
    host: str
    port: int
    security: Security
    auth: Auth
    username: str
    secret: str
    folder: str
    after_import: AfterImport
    after_import_target: str


def _resolve(account: Account) -> None:
    try:
        socket.getaddrinfo(account.host, account.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ImapProblem("dns", f"the name {account.host} cannot be resolved: {exc}") from None


def connect(account: Account, *, timeout: float = TIMEOUT_SECONDS) -> Any:
    """A logged-in client with the folder selected, or ImapProblem naming the step."""
    _resolve(account)
    where = f"{account.host}:{account.port}"
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            account.host,
            port=account.port,
            ssl=account.security is Security.IMAPS,
            ssl_context=context,
            timeout=timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        raise ImapProblem("tls", f"{where}: the certificate failed: {exc.verify_message}") from None
    except ssl.SSLError as exc:
        raise ImapProblem("tls", f"{where}: TLS failed ({exc.reason}); is it IMAPS?") from None
    except TimeoutError:
        raise ImapProblem("connect", f"{where} did not answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise ImapProblem("connect", f"cannot connect to {where}: {exc.strerror or exc}") from None
    except imaplib.IMAP4.error as exc:
        raise ImapProblem("connect", f"{where} is not an IMAP server: {exc}") from None
    try:
        if account.security is Security.STARTTLS:
            _starttls(client, context, where)
        _login(client, account)
        _select(client, account.folder)
    except BaseException:
        _close(client)
        raise
    return client


def _starttls(client: Any, context: ssl.SSLContext, where: str) -> None:
    if b"STARTTLS" not in client.capabilities():
        raise ImapProblem("tls", f"{where} does not offer STARTTLS")
    try:
        client.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        raise ImapProblem("tls", f"{where}: the certificate failed: {exc.verify_message}") from None
    except (ssl.SSLError, *NETWORK_ERRORS) as exc:
        raise ImapProblem("tls", f"{where}: STARTTLS failed: {exc}") from None


def _login(client: Any, account: Account) -> None:
    try:
        if account.auth is Auth.XOAUTH2:
            client.oauth2_login(account.username, account.secret)
        else:
            client.login(account.username, account.secret)
    except LoginError as exc:
        raise ImapProblem(
            "login", f"the server refused the login of {account.username}: {exc}"
        ) from None
    except NETWORK_ERRORS as exc:
        raise ImapProblem("login", f"the login failed: {exc}") from None


def _select(client: Any, folder: str) -> dict[bytes, Any]:
    try:
        info: dict[bytes, Any] = client.select_folder(folder)
    except NETWORK_ERRORS as exc:
        raise ImapProblem("folder", f"the folder {folder!r} cannot be opened: {exc}") from None
    return info


def _close(client: Any) -> None:
    try:
        client.logout()
    except (*NETWORK_ERRORS, AttributeError):
        try:
            client.shutdown()
        except (*NETWORK_ERRORS, AttributeError):
            pass


@dataclass(frozen=True)
class Fetched:
    uidvalidity: int
    # (uid, raw message), in UID order.
    messages: list[tuple[int, bytes]]
    # More are waiting beyond this batch.
    more: bool


class Connection:
    """One mailbox's open connection, kept between engine turns so IDLE can tell of new mail."""

    def __init__(self, account: Account, client: Any) -> None:
        self.account = account
        self.client = client
        self.idling = False
        self._idle_since = 0.0
        self.supports_idle = b"IDLE" in client.capabilities()
        self._news = True  # fetch once at once after connecting

    def fetch_new(self, *, uidvalidity: int | None, last_uid: int, limit: int) -> Fetched:
        self.stop_idle()
        info = _select(self.client, self.account.folder)
        current = int(info.get(b"UIDVALIDITY", 0))
        if current != uidvalidity:
            last_uid = 0
        uids = sorted(
            uid for uid in self.client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid
        )
        batch = uids[:limit]
        messages: list[tuple[int, bytes]] = []
        if batch:
            found = self.client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                body = found.get(uid, {}).get(b"BODY[]")
                if isinstance(body, bytes):
                    messages.append((uid, body))
        self._news = len(uids) > limit
        return Fetched(uidvalidity=current, messages=messages, more=len(uids) > limit)

    def mark_imported(self, uids: list[int]) -> None:
        """Flag or move what was stored, as the mailbox says."""
        if not uids:
            return
        self.stop_idle()
        target = self.account.after_import_target
        if self.account.after_import is AfterImport.FLAG:
            self.client.add_flags(uids, [target.encode()])
            return
        if not self.client.folder_exists(target):
            self.client.create_folder(target)
        if b"MOVE" in self.client.capabilities():
            self.client.move(uids, target)
        else:
            self.client.copy(uids, target)
            self.client.delete_messages(uids)
            self.client.uid_expunge(uids)

    def news(self) -> bool:
        """Whether the server has told of new mail since the last fetch (without waiting)."""
        if self._news:
            return True
        if not self.supports_idle:
            return False
        if not self.idling:
            self.start_idle()
            return False
        if time.monotonic() - self._idle_since > IDLE_RENEW_SECONDS:
            self.stop_idle()
            self.start_idle()
        responses = self.client.idle_check(timeout=0)
        self._news = any(
            isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT")
            for r in responses
        )
        return self._news

    def start_idle(self) -> None:
        if self.supports_idle and not self.idling:
            self.client.idle()
            self.idling = True
            self._idle_since = time.monotonic()

    def stop_idle(self) -> None:
        if self.idling:
            self.idling = False
            self.client.idle_done()

    def close(self) -> None:
        with contextlib.suppress(*NETWORK_ERRORS):
            self.stop_idle()
        _close(self.client)


def open_connection(account: Account) -> Connection:
    return Connection(account, connect(account))


def check(account: Account) -> list[str]:
    """Test a mailbox's settings: each step that passed, in words; raises ImapProblem at the
    first that fails."""
    steps: list[str] = []
    try:
        _resolve(account)
        steps.append(f"DNS: {account.host} resolves")
        connection = open_connection(account)
    except ImapProblem as exc:
        if exc.step in ("tls", "login", "folder"):
            steps.append(f"connected to {account.host}:{account.port}")
        if exc.step in ("login", "folder"):
            steps.append(
                "TLS: the certificate is valid"
                if account.security is not Security.NONE
                else "no TLS"
            )
        if exc.step == "folder":
            steps.append(f"logged in as {account.username}")
        exc.passed = steps
        raise
    try:
        steps.append(f"connected to {account.host}:{account.port} ({account.security.value})")
        steps.append(f"logged in as {account.username}")
        info = _select(connection.client, account.folder)
        steps.append(
            f"folder {account.folder!r}: {int(info.get(b'EXISTS', 0))} messages, "
            f"UIDVALIDITY {int(info.get(b'UIDVALIDITY', 0))}"
        )
        steps.append(
            "IDLE offered: new mail arrives at once"
            if connection.supports_idle
            else "no IDLE: the mailbox is polled"
        )
    finally:
        connection.close()
    return steps
