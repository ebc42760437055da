"""Real receivers on loopback for delivery tests: an SMTP server and an HTTP endpoint.

Import the fixtures into a conftest to use them (`from tests.notify.receivers import
http_receiver, smtp_server`), or use `running_smtp()` and `running_http()` directly.
The SMTP server counts what it receives by Message-ID and by Takepoint's key header, can
refuse chosen recipients or answer 451, and can be stopped and started again on the same
port to play a mail server that is down for a while.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from takepoint.notify.transports import KEY_HEADER

WAIT_SECONDS = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(condition: Any, what: str, timeout: float) -> None:
    # Deliveries are synchronous (the sender waits for the receiver's reply), so this only
    # covers scheduling jitter; it never stands in for the fake clock.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


@dataclass(frozen=True)
class ReceivedMail:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def key(self) -> str:
        return str(self.message[KEY_HEADER])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.receiver.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.receiver.busy:
            return "451 4.3.2 Busy, try again later"
        if self.receiver.delay:
            await asyncio.sleep(self.receiver.delay)
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.receiver.record(ReceivedMail(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpReceiver:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.refused: set[str] = set()
        # While true, every message is answered with a temporary 451.
        self.busy = False
        # Seconds to think before accepting each message, as a loaded server does.
        self.delay = 0.0
        self._mails: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        """Take the server down: connections are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str) -> None:
        """Answer RCPT for this address with a permanent 550."""
        self.refused.add(address.lower())

    def record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._mails.append(mail)

    @property
    def mails(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._mails)

    def by_message_id(self) -> Counter[str]:
        return Counter(m.message_id for m in self.mails)

    def by_key(self) -> Counter[str]:
        return Counter(m.key for m in self.mails)

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.mails if address.lower() in (r.lower() for r in m.recipients)]

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> list[ReceivedMail]:
        _wait(lambda: len(self.mails) >= count, f"{count} mails", timeout)
        return self.mails


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.body.get("title", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


class HttpReceiver:
    """Takes JSON POSTs (what Apprise's json:// sends) and answers with `status`."""

    def __init__(self) -> None:
        self.status = 200
        self._requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
                with receiver._lock:
                    receiver._requests.append(
                        ReceivedRequest(self.path, dict(self.headers.items()), body)
                    )
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/") -> str:
        """An Apprise URL that posts JSON here."""
        return f"json://127.0.0.1:{self.port}{path}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def to(self, path: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> list[ReceivedRequest]:
        _wait(lambda: len(self.requests) >= count, f"{count} HTTP requests", timeout)
        return self.requests


@contextmanager
def running_smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def running_http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpReceiver]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with running_http() as receiver:
        yield receiver
