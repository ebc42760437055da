"""Reading one RFC 5322 message: who sent it, what it answers, its text, its files, and whether
a machine sent it (an out-of-office reply, a list, a bounce).

Everything here works on bytes that anybody on the internet can send, so nothing trusts a
header: encoded words and charsets are decoded with replacement characters rather than
failing, HTML is sanitised with nh3 before it is shown, and a part that cannot be read is
skipped. A message that still cannot be parsed raises, and the importer keeps it raw.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr

import nh3

MAX_MESSAGE_ID = 500
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,490}>")
# What a header or part may throw when its bytes are malformed in ways the email package does
# not foresee; any of them means "unreadable", never "crash".
_MALFORMED = (
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    MessageError,
)


class _LenientPolicy(EmailPolicy):
    """The default policy, except that a header its own parser cannot read stays plain text.

    The standard library reads structured headers (Content-Type, say) while it is still feeding
    the message in, and some malformed values (`0;0*`) make that raise, so without this one bad
    header would make the whole message unreadable. As text, `0;0*` is no MIME type, so the part
    counts as text/plain, as RFC 2045 says an unreadable Content-Type should.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        try:
            parsed: str = super().header_fetch_parse(name, value)  # a str subclass
        except _MALFORMED:
            return "".join(value.splitlines())
        return parsed


LENIENT = _LenientPolicy()


def _no_nul(text: str) -> str:
    # No database text column may hold one, and no person wrote one.
    return text.replace("\x00", "")


_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_PRECEDENCE_NOISE = ("bulk", "junk", "list")
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post")
# Headers some autoresponders send instead of (or besides) Auto-Submitted.
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply")
_BLOCK_END = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h[1-6]|/blockquote|/table)\b[^>]*>", re.I)
# Remote images are left out of the display: they tell the sender when the mail was read.
_SHOWN_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "map", "area"}


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    data: bytes
    inline: bool


@dataclass(frozen=True)
class Bounce:
    """A delivery report saying a message could not be delivered."""

    recipient: str
    reason: str
    # The Message-IDs of the mail that bounced, as quoted by the report.
    originals: tuple[str, ...]


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    text: str
    html: str
    files: tuple[MailFile, ...] = ()
    # Why this message counts as sent by a machine ("Auto-Submitted: auto-replied"), or "".
    automatic: str = ""
    bounce: Bounce | None = None
    # Takepoint's own header: the message is one of ours, coming back.
    takepoint_key: str = ""
    problems: tuple[str, ...] = field(default=())

    @property
    def threads_by(self) -> tuple[str, ...]:
        """The Message-IDs this one answers, the nearest first."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


def message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value or ""))


def raw_message_id(raw: bytes) -> str:
    """The message's Message-ID, read from its headers alone (the store runs before parsing);
    one made from the bytes' hash when it has none or an unusable one."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        value = str(headers.get("Message-ID", "") or "")
    except _MALFORMED:
        value = ""
    found = message_ids(value)
    if found and len(found[0]) <= MAX_MESSAGE_ID:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.takepoint>"


def _decoded(value: object) -> str:
    # A header the modern parser choked on: decode its encoded words by hand.
    text = str(value)
    try:
        return str(make_header(decode_header(text)))
    except (*_MALFORMED, UnicodeError):
        return text


def header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        if value is None:
            return ""
        return " ".join(str(value).split())
    except (*_MALFORMED, UnicodeError):
        try:
            raw = message.get_all(name, failobj=[])
        except _MALFORMED:
            return ""
        return " ".join(_decoded(raw[0]).split()) if raw else ""


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    values = [header(message, name) for name in names]
    try:
        pairs = getaddresses([v for v in values if v])
    except _MALFORMED:
        return []
    return [(name, address.strip().lower()) for name, address in pairs if "@" in address]


def _content(part: Message) -> str:
    """A text part as text, whatever its charset claims to be."""
    try:
        value = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(value, str):
            return value
    except (*_MALFORMED, UnicodeError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def safe_html(value: str) -> str:
    """HTML as it may be shown inside a Takepoint page."""
    return nh3.clean(value, tags=_SHOWN_TAGS)


def html_to_text(value: str) -> str:
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", value)
    text = html_lib.unescape(nh3.clean(marked, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except (*_MALFORMED, UnicodeError):
        name = None
    if name and _no_nul(name):
        return _no_nul(_decoded(name))
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"attachment-{index}{extension}"


def _is_file(part: Message, bodies: tuple[Message | None, ...]) -> bool:
    if part.is_multipart() or any(part is body for body in bodies):
        return False
    maintype = part.get_content_maintype()
    if maintype == "message":
        return False
    try:
        if part.get_content_disposition() == "attachment":
            return True
        named = part.get_filename() is not None
    except (*_MALFORMED, UnicodeError):
        # A Content-Disposition the header parser cannot read: no name to go by.
        named = False
    return named or maintype not in ("text", "multipart")


def _files(message: Message, bodies: tuple[Message | None, ...]) -> list[MailFile]:
    files: list[MailFile] = []
    for part in message.walk():
        if not _is_file(part, bodies):
            continue
        try:
            data = part.get_payload(decode=True)
        except _MALFORMED:
            continue
        if not isinstance(data, bytes) or not data:
            continue
        files.append(
            MailFile(
                filename=_filename(part, len(files) + 1),
                content_type=part.get_content_type(),
                data=data,
                inline=part.get_content_disposition() == "inline",
            )
        )
    return files


def _forwarded(message: Message) -> list[str]:
    # A message forwarded as an attachment: its text belongs to the request.
    texts = []
    for part in message.walk():
        if part.get_content_type() != "message/rfc822" or part is message:
            continue
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            inner = inner[0]
        if not isinstance(inner, Message):
            continue
        plain, rich = _body_parts(inner)
        text = _content(plain) if plain is not None else ""
        if not text and rich is not None:
            text = html_to_text(_content(rich))
        texts.append(
            "---------- Forwarded message ----------\n"
            f"From: {header(inner, 'From')}\nDate: {header(inner, 'Date')}\n"
            f"Subject: {header(inner, 'Subject')}\n\n{text.strip()}"
        )
    return texts


def _body_parts(message: Message) -> tuple[Message | None, Message | None]:
    if not isinstance(message, EmailMessage):
        return None, None
    try:
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
    except _MALFORMED:
        return None, None
    return plain, rich


def automatic(message: Message, sender: str) -> str:
    """Why the message was sent by a machine (so nothing may answer it), or ""."""
    auto = header(message, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = header(message, "Precedence").lower()
    if precedence in _PRECEDENCE_NOISE:
        return f"Precedence: {precedence}"
    for name in _LIST_HEADERS:
        if header(message, name):
            return f"a mailing list ({name})"
    for name in _AUTOREPLY_HEADERS:
        if header(message, name):
            return f"an automatic reply ({name})"
    if sender.split("@")[0] in _BOUNCE_SENDERS:
        return f"a delivery report ({sender})"
    if message.get_content_type() == "multipart/report":
        return "a delivery report (multipart/report)"
    return ""


def _report_fields(message: Message) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, str):
            blocks = [
                HeaderParser(policy=policy.compat32).parsestr(b) for b in blocks.split("\n\n")
            ]
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            for name in ("Final-Recipient", "Original-Recipient", "Action", "Status"):
                if header(block, name):
                    fields.setdefault(name.lower(), header(block, name))
            if header(block, "Diagnostic-Code"):
                fields.setdefault("diagnostic-code", header(block, "Diagnostic-Code"))
    return fields


def _quoted_originals(message: Message) -> list[str]:
    found: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        quoted: Message | None = None
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                quoted = inner[0]
        elif kind in ("text/rfc822-headers", "message/rfc822-headers"):
            quoted = HeaderParser(policy=policy.compat32).parsestr(_content(part))
        if quoted is not None:
            found.extend(message_ids(header(quoted, "Message-ID")))
    return found


def bounce_of(message: Message, sender: str) -> Bounce | None:
    """The failure a delivery report tells of; None for anything else (a delay warning, too)."""
    report = message.get_content_type() == "multipart/report"
    if not report and sender.split("@")[0] not in _BOUNCE_SENDERS:
        return None
    fields = _report_fields(message)
    action = fields.get("action", "failed").lower()
    if action != "failed":
        return None
    recipient = fields.get("final-recipient", fields.get("original-recipient", ""))
    recipient = recipient.split(";")[-1].strip().lower()
    reason = fields.get("diagnostic-code", "").split(";")[-1].strip() or fields.get("status", "")
    originals = _quoted_originals(message) + list(message_ids(header(message, "In-Reply-To")))
    return Bounce(recipient=recipient, reason=reason or "undeliverable", originals=tuple(originals))


def parse(raw: bytes) -> ParsedMail:
    """Read a message. Raises only for bytes that are not a message at all."""
    message = BytesParser(policy=LENIENT).parsebytes(raw)
    senders = _addresses(message, "From") or _addresses(message, "Sender", "Return-Path")
    sender_name, sender = senders[0] if senders else ("", "")
    if not sender:
        fallback = parseaddr(header(message, "Return-Path"))[1].strip().lower()
        sender = fallback if "@" in fallback else ""
    plain, rich = _body_parts(message)
    text = _content(plain) if plain is not None else ""
    html = _content(rich) if rich is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)
    forwarded = _forwarded(message)
    if forwarded:
        text = "\n\n".join([text.strip(), *forwarded]).strip()
    return ParsedMail(
        message_id=raw_message_id(raw),
        in_reply_to=message_ids(header(message, "In-Reply-To")),
        references=message_ids(header(message, "References")),
        subject=_no_nul(header(message, "Subject"))[:500],
        sender=_no_nul(sender)[:320],
        sender_name=" ".join(_no_nul(sender_name).split())[:200],
        recipients=tuple(_no_nul(a) for _, a in _addresses(message, "To", "Cc", "Delivered-To")),
        text=_no_nul(text).replace("\r\n", "\n"),
        html=safe_html(_no_nul(html)) if html else "",
        files=tuple(_files(message, (plain, rich))),
        automatic=automatic(message, sender),
        bounce=bounce_of(message, sender),
        takepoint_key=header(message, "X-Takepoint-Key"),
    )
