"""Whatever bytes arrive, the importer never crashes: each message ends imported, ignored or
failed (kept raw for an admin), and the rest of the batch goes on. The bytes are fuzzed headers
over any body, and nested MIME structures (unclosed, cut short, odd charsets and encodings)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from takepoint.lib.clock import FakeClock
from takepoint.mail.models import InboundState, MailMessage
from takepoint.mail.parse import parse
from tests.conftest import BoundDatabase
from tests.mail.helpers import mail, run_mail_jobs

HEADERS = [
    "From",
    "To",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Auto-Submitted",
    "Content-Disposition",
    "MIME-Version",
]
_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
# The characters MIME's header grammar gives a meaning to, so that odd parameters, quoting and
# comments turn up far more often than in arbitrary text.
_grammar = st.lists(
    st.sampled_from(
        [";", "=", "*", "0*", "''", "%ff", '"', "(", ")", "<", "@", ",", "\\", " ", "a"]
    ),
    max_size=8,
).map("".join)
_value = st.one_of(
    _text,
    _grammar,
    st.sampled_from(
        [
            "multipart/mixed; boundary=",
            'multipart/report; boundary="',
            "=?utf-8?b?!!?=",
            "=?x-unknown?q?abc?=",
            "text/plain; charset=x-nope",
            "base64",
            "<@>",
            "<<a@b>>",
            "message/rfc822",
            "attachment; filename*=utf-8''%ff%fe",
        ]
    ),
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    lines = [
        f"{draw(st.sampled_from(HEADERS))}: {draw(_value)}" for _ in range(draw(st.integers(0, 8)))
    ]
    body = draw(st.binary(max_size=300))
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body
    cut = draw(st.integers(0, len(raw)))
    return raw[:cut] if draw(st.booleans()) else raw


_CHARSETS = st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "x-unknown", "utf-7"])
_ENCODINGS = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"])


def _leaf(draw: st.DrawFn) -> str:
    """One body part, its headers and content as a mail client might (mis)write them."""
    kind = draw(
        st.sampled_from(
            ["text/plain", "text/html", "application/octet-stream", "image/png", "text/calendar"]
        )
    )
    headers = [
        f"Content-Type: {kind}; charset={draw(_CHARSETS)}",
        f"Content-Transfer-Encoding: {draw(_ENCODINGS)}",
    ]
    if draw(st.booleans()):
        name = draw(st.sampled_from(["a.png", "=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=", "", "../x"]))
        headers.append(
            f"Content-Disposition: {draw(st.sampled_from(['attachment', 'inline']))}; "
            f'filename="{name}"'
        )
    body = draw(st.text(max_size=80)).replace("\r", "")
    return "\r\n".join(headers) + "\r\n\r\n" + body


def _part(draw: st.DrawFn, depth: int) -> str:
    """A leaf, or a multipart (or a message/rfc822) holding more parts, nested a few deep."""
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw)
    if draw(st.integers(0, 4)) == 0:
        return "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n" + _part(draw, depth + 1)
    boundary = draw(st.sampled_from(["b1", "b1", "=_x", "", "a" * 80])) + str(depth)
    sub = draw(st.sampled_from(["mixed", "alternative", "related", "report", "signed"]))
    children = [_part(draw, depth + 1) for _ in range(draw(st.integers(0, 4)))]
    closed = draw(st.booleans())
    inner = "".join(f"\r\n--{boundary}\r\n{child}" for child in children)
    end = f"\r\n--{boundary}--\r\n" if closed else ""
    return f'Content-Type: multipart/{sub}; boundary="{boundary}"\r\n\r\npreamble{inner}{end}'


@st.composite
def mime_trees(draw: st.DrawFn) -> bytes:
    """Whole messages of nested MIME parts, sometimes unclosed, sometimes cut short."""
    head = "From: Dana <dana@ward3.example>\r\nSubject: fuzz\r\nMIME-Version: 1.0\r\n"
    raw = (head + _part(draw, 0)).encode("utf-8", "surrogateescape")
    return raw[: draw(st.integers(0, len(raw)))] if draw(st.booleans()) else raw


@settings(max_examples=300, deadline=None)
@given(messages())
def test_parsing_never_raises_on_fuzzed_messages(raw: bytes) -> None:
    parse(raw)


@settings(max_examples=200, deadline=None)
@given(mime_trees())
def test_parsing_never_raises_on_fuzzed_mime_structure(raw: bytes) -> None:
    parsed = parse(raw)
    # Whatever the structure, what parsing found is text a page can show.
    assert isinstance(parsed.text, str) and isinstance(parsed.html, str)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(messages(), mime_trees()), min_size=1, max_size=5))
def test_the_importer_never_crashes_and_keeps_every_message(
    db: BoundDatabase, clock: FakeClock, batch: list[bytes]
) -> None:
    from takepoint.mail.importer import store_raw

    with db.session() as session:
        for raw in [*batch, mail(), b"x" * 100_000 + b"\r\n\r\n"]:
            store_raw(session, raw=raw, now=clock.now(), mailbox_id=None)
    run_mail_jobs(db, clock)
    with db.session() as session:
        waiting = session.scalar(
            select(func.count()).where(MailMessage.state == InboundState.RECEIVED)
        )
    assert waiting == 0
