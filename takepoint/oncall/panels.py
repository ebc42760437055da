"""The home page's "Who's on call now" panel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from takepoint.accounts.auth import Principal
from takepoint.oncall.service import on_call_everywhere


def now_panel(session: Session, principal: Principal, now: datetime) -> dict[str, Any]:
    return {"oncall_now": on_call_everywhere(session, at=now)}
