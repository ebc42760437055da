"""The readiness audit's signal checks: is anything watching this service, and its backups?"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog.readiness import ProbeAnswer
from takepoint.signals.models import (
    Heartbeat,
    HeartbeatKind,
    HeartbeatStatus,
    Integration,
    IntegrationKind,
)

NEVER_SENT = "an integration exists but has never sent a signal"


def services_with_monitors(
    session: Session, service_ids: Collection[int], now: datetime
) -> ProbeAnswer:
    """Services with a monitoring integration that has delivered at least one signal.

    A monitoring tool may rightly stay silent for months while all is well, so any signal ever
    received proves the wiring; an integration that never sent anything proves nothing. A
    heartbeat that is pinging counts too: something is watching the service. A service that
    fails with an integration that has never sent is told so: the fix is in the sending tool.
    """
    monitored = session.scalars(
        select(Integration.service_id).where(
            Integration.service_id.in_(service_ids),
            Integration.kind != IntegrationKind.HEARTBEAT,
            Integration.last_signal_at.is_not(None),
        )
    )
    pinging = session.scalars(
        select(Heartbeat.service_id).where(
            Heartbeat.service_id.in_(service_ids), Heartbeat.status == HeartbeatStatus.UP
        )
    )
    passing = set(monitored) | set(pinging)
    silent = session.scalars(
        select(Integration.service_id).where(
            Integration.service_id.in_(service_ids), Integration.last_signal_at.is_(None)
        )
    )
    return ProbeAnswer(passing, reasons={sid: NEVER_SENT for sid in silent if sid not in passing})


def services_with_backup_heartbeats(
    session: Session, service_ids: Collection[int], now: datetime
) -> set[int]:
    """Services whose backup heartbeat is up: the last backup succeeded and the next is not late.

    One that never pinged, is failing, is late or is paused does not count: that is exactly the
    backup nobody knows is broken.
    """
    return set(
        session.scalars(
            select(Heartbeat.service_id).where(
                Heartbeat.service_id.in_(service_ids),
                Heartbeat.kind == HeartbeatKind.BACKUP,
                Heartbeat.status == HeartbeatStatus.UP,
            )
        )
    )
