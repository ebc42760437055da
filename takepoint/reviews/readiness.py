"""What the readiness audit shows of action items: "3 open actions (1 overdue)"."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.reviews.actions import open_counts


def open_action_notes(
    session: Session, service_ids: Collection[int], now: datetime
) -> dict[int, str]:
    notes = {}
    for service_id, (count, overdue) in open_counts(session, list(service_ids), now).items():
        text = f"{count} open action{'s' * (count != 1)}"
        notes[service_id] = text + (f" ({overdue} overdue)" if overdue else "")
    return notes
