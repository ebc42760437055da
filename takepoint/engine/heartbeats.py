"""Raise an alert for every heartbeat past its deadline, and keep ping history bounded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.signals.heartbeats import LATE_BATCH, prune_pings, raise_late

BATCH = LATE_BATCH


def run_once(session: Session, now: datetime) -> int:
    raised = raise_late(session, now=now)
    prune_pings(session, now=now)
    return raised
