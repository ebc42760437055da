"""The home page's signals panel: what is firing now, and which jobs are down."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.auth import Principal
from takepoint.signals.alerts import AlertFilter, count_live, list_alerts
from takepoint.signals.models import AlertState, Heartbeat, HeartbeatStatus


def alerts_panel(session: Session, principal: Principal, now: datetime) -> dict[str, Any]:
    down = session.scalars(
        select(Heartbeat)
        .options(selectinload(Heartbeat.integration), selectinload(Heartbeat.service))
        .where(Heartbeat.status == HeartbeatStatus.DOWN)
        .order_by(Heartbeat.id)
        .limit(5)
    )
    return {
        "signals_live": count_live(session),
        "signals_unowned": count_live(session, states=(AlertState.OPEN,)),
        "signals_recent": list_alerts(session, AlertFilter(limit=5)),
        "signals_down": list(down),
    }
