"""Whatever bytes arrive, the importer never crashes: each message ends imported, ignored or
failed (kept raw for an admin), and the rest of the batch goes on."""

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
_value = st.one_of(
    _text,
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


@settings(max_examples=300, deadline=None)
@given(messages())
def test_parsing_never_raises_on_fuzzed_messages(raw: bytes) -> None:
    parse(raw)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(messages(), min_size=1, max_size=5))
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
