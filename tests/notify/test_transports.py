"""What transports put on the wire, and how they tell temporary from permanent failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from takepoint.lib.errors import InvalidInput
from takepoint.lib.settings import Settings
from takepoint.notify.models import ContactKind, Urgency
from takepoint.notify.transports import (
    TRANSPORTS,
    OutgoingMessage,
    TransportError,
    check_apprise_url,
    message_id,
)
from tests.notify.receivers import HttpReceiver, SmtpReceiver


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Transports never touch the database, so these tests run once rather than per backend.
    return Settings(data_dir=tmp_path / "data", base_url="http://testserver")


def _message(to: str, *, html: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        key="page:1:dana/m1/0m",
        to=to,
        subject="Theatre system down",
        body="Plain words",
        html=html,
        urgency=Urgency.HIGH,
    )


def test_it_mails_with_a_message_id_made_from_the_key(
    mail_settings: Settings, smtp_server: SmtpReceiver
) -> None:
    TRANSPORTS[ContactKind.EMAIL].send(
        _message("dana@stmarys.example", html="<p>Rich words</p>"), mail_settings
    )
    (mail,) = smtp_server.mails
    assert mail.recipients == ("dana@stmarys.example",)
    assert mail.message_id == message_id("page:1:dana/m1/0m")
    assert mail.key == "page:1:dana/m1/0m"
    assert mail.message["From"] == "takepoint@stmarys.example"
    assert mail.message["X-Priority"] == "1"
    assert mail.text.strip() == "Plain words"
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None and "Rich words" in html.get_content()


def test_it_mails_accents_and_folds_a_line_break_out_of_the_subject(
    mail_settings: Settings, smtp_server: SmtpReceiver
) -> None:
    message = OutgoingMessage(
        key="page:2:zoe/m1/0m",
        to="Zoë Ünal <zoe@stmarys.example>",
        subject="Théâtre down\nBcc: everyone@stmarys.example",
        body="Salle 3 — café\nhttps://takepoint.example/a/ack?token=abc=",
        html=None,
        urgency=Urgency.LOW,
    )
    TRANSPORTS[ContactKind.EMAIL].send(message, mail_settings)
    (mail,) = smtp_server.mails
    assert mail.recipients == ("zoe@stmarys.example",)
    assert mail.message["To"] == "Zoë Ünal <zoe@stmarys.example>"
    assert mail.message["Subject"] == "Théâtre down Bcc: everyone@stmarys.example"
    assert mail.message["Bcc"] is None
    assert mail.message["X-Priority"] is None
    assert mail.text.splitlines() == [
        "Salle 3 — café",
        "https://takepoint.example/a/ack?token=abc=",
    ]


def test_it_keeps_a_plain_body_readable_on_the_wire(
    mail_settings: Settings, smtp_server: SmtpReceiver
) -> None:
    link = "https://takepoint.example/a/ack?token=abc=def"
    TRANSPORTS[ContactKind.EMAIL].send(
        OutgoingMessage(
            key="page:3:dana/m1/0m",
            to="dana@stmarys.example",
            subject="Theatre system down",
            body=f"Acknowledge: {link}",
            html=None,
            urgency=Urgency.HIGH,
        ),
        mail_settings,
    )
    (mail,) = smtp_server.mails
    # As sent, not decoded: a reader of the raw message (or a filter) finds the link as is.
    assert mail.message["Content-Transfer-Encoding"] == "7bit"
    assert link in mail.message.get_payload()


def test_it_calls_a_refused_connection_temporary(
    mail_settings: Settings, smtp_server: SmtpReceiver
) -> None:
    smtp_server.stop()
    with pytest.raises(TransportError) as caught:
        TRANSPORTS[ContactKind.EMAIL].send(_message("dana@stmarys.example"), mail_settings)
    assert not caught.value.permanent


def test_it_calls_a_4xx_reply_temporary_and_a_refused_recipient_permanent(
    mail_settings: Settings, smtp_server: SmtpReceiver
) -> None:
    smtp_server.busy = True
    with pytest.raises(TransportError) as busy:
        TRANSPORTS[ContactKind.EMAIL].send(_message("dana@stmarys.example"), mail_settings)
    assert not busy.value.permanent
    assert "451" in busy.value.message

    smtp_server.busy = False
    smtp_server.refuse("nobody@stmarys.example")
    with pytest.raises(TransportError) as refused:
        TRANSPORTS[ContactKind.EMAIL].send(_message("nobody@stmarys.example"), mail_settings)
    assert refused.value.permanent


def test_it_calls_missing_mail_settings_permanent(settings: Settings) -> None:
    with pytest.raises(TransportError) as caught:
        TRANSPORTS[ContactKind.EMAIL].send(_message("dana@stmarys.example"), settings)
    assert caught.value.permanent
    assert "TAKEPOINT_SMTP_HOST" in caught.value.message


def test_it_posts_through_apprise(settings: Settings, http_receiver: HttpReceiver) -> None:
    TRANSPORTS[ContactKind.APPRISE].send(_message(http_receiver.url("/hook")), settings)
    (request,) = http_receiver.to("/hook")
    assert request.title == "Theatre system down"
    assert request.message == "Plain words"


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (429, False), (403, True)])
def test_it_sorts_http_failures_from_apprise(
    settings: Settings, http_receiver: HttpReceiver, status: int, permanent: bool
) -> None:
    http_receiver.status = status
    with pytest.raises(TransportError) as caught:
        TRANSPORTS[ContactKind.APPRISE].send(_message(http_receiver.url("/hook")), settings)
    assert caught.value.permanent is permanent
    assert str(status) in caught.value.message


def test_it_masks_secrets_in_what_it_shows() -> None:
    shown = check_apprise_url("ntfys://dana:hunter2-secret@ntfy.stmarys.example/pager?token=abc123")
    assert "hunter2-secret" not in shown
    assert "abc123" not in shown
    assert shown.startswith("ntfys://") and shown.endswith("@ntfy.stmarys.example/pager")
    telegram = check_apprise_url("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345/")
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in telegram


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("smoke-signal://hill/fire", "unknown Apprise scheme 'smoke-signal://'"),
        ("just some words", "looks like scheme://"),
        ("tgram://not-a-token", "not a complete tgram:// URL"),
    ],
)
def test_it_refuses_urls_apprise_cannot_send_to(url: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_apprise_url(url)
    assert caught.value.field == "target"
    assert words in caught.value.message
