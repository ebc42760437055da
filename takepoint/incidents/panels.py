from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from takepoint.accounts.auth import Principal
from takepoint.incidents import service as incidents


def mine_panel(session: Session, principal: Principal, now: datetime) -> dict[str, Any]:
    mine = incidents.list_incidents(
        session, incidents.IncidentFilter(open_only=True, mine_user_id=principal.user.id, limit=10)
    )
    return {"incidents_mine": mine, "incidents_open": incidents.count_open(session)}
