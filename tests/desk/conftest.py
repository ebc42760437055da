"""Fixtures the desk tests share with notify's: a real SMTP receiver on loopback."""

from __future__ import annotations

from tests.notify.receivers import smtp_server

__all__ = ["smtp_server"]
