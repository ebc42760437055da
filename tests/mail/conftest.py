"""Fixtures for the desk mail tests: a real Dovecot, a real SMTP receiver, and helpers that
run the mail jobs as the engine does."""

from __future__ import annotations

import dataclasses

import pytest

from takepoint.lib.context import Context
from takepoint.lib.settings import Settings
from tests.conftest import BoundDatabase
from tests.mail.dovecot import Dovecot, dovecot
from tests.notify.receivers import SmtpReceiver, smtp_server

__all__ = ["dovecot", "smtp_server"]


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpReceiver) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_from": "takepoint@stmarys.example",
        }
    )


@pytest.fixture
def mail_context(db: BoundDatabase, mail_settings: Settings) -> Context:
    """The test database's context with the SMTP receiver as its mail server."""
    db.context = dataclasses.replace(db.context, settings=mail_settings)
    return db.context


__all__ += ["Dovecot"]
