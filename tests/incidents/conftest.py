from __future__ import annotations

from tests.notify.receivers import http_receiver, smtp_server

__all__ = ["http_receiver", "smtp_server"]
