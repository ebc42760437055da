"""How a notification leaves Takepoint: one transport per contact kind, in an explicit registry.

A transport either returns (the receiver accepted the message) or raises `TransportError`.
`permanent=True` means trying again cannot help (a rejected recipient, a bad URL, a refused
login): the outbox fails the message over to the person's next contact method at once.
Anything else (a refused connection, a timeout, a 4xx SMTP reply) is retried with backoff.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
import threading
import warnings
from dataclasses import dataclass
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import apprise

from takepoint.lib.errors import InvalidInput
from takepoint.lib.settings import Settings
from takepoint.notify.models import ContactKind, Urgency

SMTP_TIMEOUT_SECONDS = 10.0
KEY_HEADER = "X-Takepoint-Key"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
# HTTP replies that mean "not now" rather than "never": timeouts and rate limits.
_RETRYABLE_HTTP = {408, 425, 429}


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class OutgoingFile:
    # Relative to the data folder (the evidence store).
    path: str
    filename: str
    content_type: str


@dataclass(frozen=True)
class OutgoingMessage:
    key: str
    to: str  # an email address or an Apprise URL
    subject: str
    body: str
    html: str | None
    urgency: Urgency
    # Desk mail: From, extra headers (In-Reply-To, References, Auto-Submitted) and files.
    sender: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    files: tuple[OutgoingFile, ...] = ()


class Transport(Protocol):
    def send(self, message: OutgoingMessage, settings: Settings) -> None: ...

    def close(self) -> None:
        """End a batch of sends: release whatever was kept open for it (in this thread)."""


def message_id(key: str) -> str:
    """The Message-ID for an idempotency key: the same key always gives the same header."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{digest}@takepoint>"


# Bodies that are not plain ASCII go as quoted-printable UTF-8, which keeps the ASCII in them
# (the links) readable in the raw message.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


def _part(text: str, subtype: str) -> Message:
    if text.isascii() and max(map(len, text.splitlines()), default=0) <= 998:
        return MIMEText(text, subtype, "us-ascii")
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(text, _UTF8)
    return part


def _one_line(value: str) -> str:
    # A line break in a header value would start a header of its own.
    return " ".join(value.splitlines())


def _address(value: str) -> str:
    name, address = parseaddr(_one_line(value))
    return formataddr((name, address), charset="utf-8") if address else _one_line(value)


def _text(name: str, value: str) -> str:
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8", header_name=name).encode()


def _file(item: OutgoingFile, settings: Settings) -> Message:
    maintype, _, subtype = item.content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    try:
        part.set_payload((settings.data_dir / item.path).read_bytes())
    except OSError as exc:
        raise TransportError(
            f"the attachment {item.filename} cannot be read: {exc.strerror}", permanent=True
        ) from None
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", item.filename))
    return part


def build_email(message: OutgoingMessage, settings: Settings) -> Message:
    """The page as an email. Built with the classic message classes, which store headers as
    given: the modern `EmailMessage` parses every header on the way in and made building a
    page cost more than the rest of sending it.

    Every message says it was sent automatically (`Auto-Submitted: auto-generated`, RFC 3834),
    so vacation responders and other desks do not answer it, unless its extra headers say
    otherwise (an agent's reply, written by a person, carries `Auto-Submitted: no`)."""
    email: Message = _part(message.body, "plain")
    if message.html:
        email = MIMEMultipart("alternative", _subparts=[email, _part(message.html, "html")])
    if message.files:
        files = [_file(item, settings) for item in message.files]
        email = MIMEMultipart("mixed", _subparts=[email, *files])
    email["From"] = _address(message.sender or settings.smtp_from)
    email["To"] = _address(message.to)
    email["Subject"] = _text("Subject", message.subject)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(message.key)
    email[KEY_HEADER] = _text(KEY_HEADER, message.key)
    extra = dict(message.headers)
    extra.setdefault("Auto-Submitted", "auto-generated")
    for name, value in extra.items():
        email[name] = _text(name, value)
    if message.urgency is Urgency.HIGH:
        email["X-Priority"] = "1"
    return email


def _smtp_reply_error(code: int, reply: bytes | str, what: str) -> TransportError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return TransportError(f"{what}: {code} {text}".strip(), permanent=code >= 500)


class _Disconnected(Exception):
    """The connection was gone when we tried to use it."""


class EmailTransport:
    """SMTP, keeping one connection open for a batch of messages (per thread).

    Opening a connection (and STARTTLS, and a login) costs more than sending a page, so a burst
    of pages shares one until `close()` ends the batch. A reused connection that turns out dead
    is reopened once.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def send(self, message: OutgoingMessage, settings: Settings) -> None:
        if not settings.smtp_host:
            raise TransportError(
                "email is not set up: TAKEPOINT_SMTP_HOST is empty", permanent=True
            )
        email = build_email(message, settings)
        smtp, reused = self._connection(settings)
        try:
            self._deliver(smtp, email)
        except _Disconnected as exc:
            self._drop()
            if not reused:
                raise TransportError(f"the mail server connection failed: {exc}") from None
            # The server had dropped the idle connection: once more on a new one. (Had it taken
            # the message before dropping, the repeat carries the same Message-ID.)
            smtp, _ = self._connection(settings)
            try:
                self._deliver(smtp, email)
            except _Disconnected as again:
                self._drop()
                raise TransportError(f"the mail server connection failed: {again}") from None
        except TransportError:
            if not self._alive(smtp):
                self._drop()
            raise

    @staticmethod
    def _alive(smtp: smtplib.SMTP) -> bool:
        try:
            return smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _connection(self, settings: Settings) -> tuple[smtplib.SMTP, bool]:
        target = (
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_starttls,
            settings.smtp_username,
        )
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None and getattr(self._local, "target", None) == target:
            return smtp, True
        self._drop()
        smtp = self._open(settings)
        self._local.smtp, self._local.target = smtp, target
        return smtp, False

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is None:
            return
        # Messages already accepted stay accepted; a failed QUIT must not make them retries.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _open(self, settings: Settings) -> smtplib.SMTP:
        assert settings.smtp_host is not None
        try:
            smtp = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
            )
        except smtplib.SMTPConnectError as exc:
            raise _smtp_reply_error(
                exc.smtp_code, exc.smtp_error, "the mail server refused"
            ) from None
        except OSError as exc:
            raise TransportError(
                f"cannot reach the mail server {settings.smtp_host}:{settings.smtp_port}: {exc}"
            ) from None
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise TransportError(
                f"the mail server refused the login: {exc.smtp_code}", permanent=True
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            smtp.close()
            raise TransportError(
                f"the mail server does not support {exc}", permanent=True
            ) from None
        except ssl.SSLCertVerificationError as exc:
            smtp.close()
            raise TransportError(
                f"the mail server's certificate failed: {exc.verify_message}", permanent=True
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise TransportError(f"the mail server connection failed: {exc}") from None
        return smtp

    def _deliver(self, smtp: smtplib.SMTP, email: Message) -> None:
        try:
            smtp.send_message(email)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise _Disconnected(str(exc)) from None
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.values())
            permanent = all(code >= 500 for code, _ in replies)
            details = "; ".join(
                f"{code} {reply.decode(errors='replace')}" for code, reply in replies
            )
            raise TransportError(
                f"the recipient was refused: {details}", permanent=permanent
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(
                f"the mail server refused the login: {exc.smtp_code}", permanent=True
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise TransportError(
                f"the mail server does not support {exc}", permanent=True
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_reply_error(exc.smtp_code, exc.smtp_error, "the mail server said") from None
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(
                f"the mail server's certificate failed: {exc.verify_message}", permanent=True
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"the mail server connection failed: {exc}") from None


def _plugins() -> Any:
    # Apprise's registry of plugins (untyped).
    from apprise.apprise import N_MGR

    return N_MGR


_apprise_ready = threading.Lock()
_apprise_loaded = False


def _load_apprise() -> None:
    # Apprise imports its plugins on first use, and one of them imports a module that raises a
    # DeprecationWarning on Python 3.11; load them once here with that warning silenced.
    global _apprise_loaded
    with _apprise_ready:
        if _apprise_loaded:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            _plugins().load_modules()
        _apprise_loaded = True


def _apprise_problem(messages: list[str]) -> TransportError:
    text = " ".join(messages) or "the service did not accept the message"
    codes = [int(code) for code in re.findall(r"error=(\d{3})", text)]
    permanent = any(400 <= code < 500 and code not in _RETRYABLE_HTTP for code in codes)
    return TransportError(text[:1000], permanent=permanent)


class AppriseTransport:
    def send(self, message: OutgoingMessage, settings: Settings) -> None:
        _load_apprise()
        sender = apprise.Apprise()
        if not sender.add(message.to):
            raise TransportError("the Apprise URL is not valid", permanent=True)
        kind = (
            apprise.NotifyType.WARNING
            if message.urgency is Urgency.HIGH
            else apprise.NotifyType.INFO
        )
        result: Any = sender.notify(
            title=message.subject,
            body=message.body,
            body_format=apprise.NotifyFormat.TEXT,
            notify_type=kind,
        )
        try:
            if result:
                return
            logs = result.logs() if hasattr(result, "logs") else []
            raise _apprise_problem([entry.message for entry in logs])
        finally:
            if hasattr(result, "close"):
                result.close()

    def close(self) -> None:
        return None


TRANSPORTS: dict[ContactKind, Transport] = {
    ContactKind.EMAIL: EmailTransport(),
    ContactKind.APPRISE: AppriseTransport(),
}


# --- checking what people type ---------------------------------------------------------------


def check_email(address: str, *, field: str = "target") -> str:
    address = address.strip().lower()
    if not _EMAIL.match(address) or len(address) > 254:
        raise InvalidInput(f"{address!r} is not an email address", field=field)
    return address


def check_apprise_url(url: str) -> str:
    """Return the URL as it may be shown (secrets masked); refuse what Apprise cannot send to."""
    url = url.strip()
    scheme, sep, _ = url.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        raise InvalidInput(
            "an Apprise URL looks like scheme://..., for example ntfys://ntfy.sh/my-topic",
            field="target",
        )
    if len(url) > 2000:
        raise InvalidInput("the Apprise URL is longer than 2000 characters", field="target")
    _load_apprise()
    if scheme.lower() not in _plugins().schemas():
        raise InvalidInput(f"unknown Apprise scheme '{scheme}://'", field="target")
    plugin: Any = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise InvalidInput(
            f"this is not a complete {scheme}:// URL; see the Apprise documentation for {scheme}",
            field="target",
        )
    return masked(str(plugin.url(privacy=True)))


def masked(private_url: str) -> str:
    # Apprise's privacy form masks passwords and tokens; the query string is dropped as well,
    # because plugins keep further secrets (API keys, custom headers) there.
    parts = urlsplit(private_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:500]


def check_target(kind: ContactKind, target: str) -> tuple[str, str]:
    """The target to store and the form to show, or InvalidInput naming `target`."""
    if kind is ContactKind.EMAIL:
        address = check_email(target)
        return address, address
    url = target.strip()
    return url, check_apprise_url(url)
