"""Record "your on-call starts" and "your on-call ended" notices as shifts come and go.

A notice is a row keyed by schedule, person, kind and the moment it is about, inserted with ON
CONFLICT DO NOTHING: every engine may compute the same notices on every tick, and the database
keeps exactly one. Each new notice is then claimed (pending → sent, one conditional UPDATE) and
handed to the outbox in the same unit of work, so it reaches the person exactly once, through
their own notification rules.

Notices follow continuous on-call periods, not rotation shifts: someone who hands over to
themselves, or covers the next shift by override, gets one "starting" and one "ended".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.claims import Claim
from takepoint.lib.db import is_postgresql
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from takepoint.oncall.compute import runs
from takepoint.oncall.models import NoticeKind, NoticeState, Schedule, ShiftNotice
from takepoint.oncall.service import list_schedules, timeline

# "Starting" notices are recorded this long before the shift, so they can arrive in time.
LEAD = timedelta(minutes=15)
# An engine that was down longer than this skips the notices it missed: stale news is noise.
LOOKBACK = timedelta(hours=1)
# Computed on each side of the notice window, so runs crossing it are seen whole.
MARGIN = timedelta(days=1)
# Notices sent per run; any more go at the next tick.
BATCH = 500


def due_notices(session: Session, now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for schedule in list_schedules(session):
        start, end = now - LOOKBACK - MARGIN, now + LEAD + MARGIN
        result = timeline(session, schedule=schedule, start=start, end=end)
        for run in runs(result.final):
            known_start = run.start if run.start > start else None
            known_end = run.end if run.end < end else None
            base = {
                "schedule_id": schedule.id,
                "user_id": run.user_id,
                "shift_start": known_start,
                "shift_end": known_end,
                "state": NoticeState.PENDING,
                "created_at": now,
            }
            if known_start is not None and now - LOOKBACK <= known_start <= now + LEAD:
                rows.append({**base, "kind": NoticeKind.STARTING, "occurs_at": known_start})
            if known_end is not None and now - LOOKBACK <= known_end <= now:
                rows.append({**base, "kind": NoticeKind.ENDED, "occurs_at": known_end})
    return rows


# Built once each; which one runs depends on the database.
_KEY = ["schedule_id", "user_id", "occurs_at", "kind"]
_RECORD_POSTGRESQL = (
    postgresql.insert(ShiftNotice)
    .on_conflict_do_nothing(index_elements=_KEY)
    .returning(ShiftNotice.id)
)
_RECORD_SQLITE = (
    sqlite.insert(ShiftNotice).on_conflict_do_nothing(index_elements=_KEY).returning(ShiftNotice.id)
)
# Taking a notice marks it sent: it is handed to the outbox in the same unit of work.
_PENDING = Claim(
    ShiftNotice,
    ready=ShiftNotice.state == NoticeState.PENDING,
    values={"state": NoticeState.SENT},
    limit=BATCH,
)


def run_once(session: Session, now: datetime) -> int:
    rows = due_notices(session, now)
    inserted = 0
    if rows:
        record = _RECORD_POSTGRESQL if is_postgresql(session) else _RECORD_SQLITE
        inserted = len(session.execute(record, rows).all())
    _send_pending(session, now)
    return inserted


def _send_pending(session: Session, now: datetime) -> None:
    for notice in _PENDING.rows(session, now=now):
        user = session.get(User, notice.user_id)
        schedule = session.get(Schedule, notice.schedule_id)
        if user is None or schedule is None or not user.is_active:
            continue
        local = notice.occurs_at.astimezone(ZoneInfo(user.time_zone))
        when = local.strftime("%a %d %b %H:%M %Z")
        if notice.kind is NoticeKind.STARTING:
            subject = f"Your on-call for {schedule.name} starts {when}"
        else:
            subject = f"Your on-call for {schedule.name} ended {when}"
        notify_user(
            session,
            user=user,
            subject=subject,
            body=f"{subject}.\nSchedule: {schedule.name} ({schedule.time_zone}).",
            urgency=Urgency.LOW,
            key=f"shift:{notice.id}",
            now=now,
        )
