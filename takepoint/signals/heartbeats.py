"""Heartbeats for jobs, watched the way healthchecks watches them.

A job pings `/ping/<uuid>` when it succeeds (and optionally `/start` first, `/fail` or its exit
status at the end). The deadline lives in the row (`alert_after`); the engine raises an alert for
every heartbeat past it with one conditional UPDATE, and a successful ping resolves the alert.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from takepoint.catalog.models import Service
from takepoint.lib.claims import Claim
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.signals.alerts import Action, Signal, apply_signals
from takepoint.signals.integrations import IntegrationRef, create_integration, find_by_key
from takepoint.signals.models import (
    Heartbeat,
    HeartbeatKind,
    HeartbeatPing,
    HeartbeatStatus,
    Integration,
    IntegrationKind,
    PingKind,
    ScheduleKind,
    Severity,
)
from takepoint.signals.parsing import clean
from takepoint.signals.schedule import Schedule, span_in_words

ALERT_KEY = "heartbeat"
LATE_BATCH = 500
KEEP_PINGS = 100
PRUNE_EVERY = timedelta(hours=1)
# A /start older than this is not the start of the run that just succeeded.
MAX_RUN = timedelta(hours=72)
WATCHED = (HeartbeatStatus.NEW, HeartbeatStatus.UP)


def schedule_of(heartbeat: Heartbeat) -> Schedule:
    return Schedule(
        kind=heartbeat.schedule_kind,
        period=timedelta(seconds=heartbeat.period_seconds) if heartbeat.period_seconds else None,
        cron=heartbeat.cron,
        time_zone=heartbeat.time_zone,
        grace=timedelta(seconds=heartbeat.grace_seconds),
    )


def _set_schedule(heartbeat: Heartbeat, schedule: Schedule) -> None:
    heartbeat.schedule_kind = schedule.kind
    heartbeat.period_seconds = int(schedule.period.total_seconds()) if schedule.period else None
    heartbeat.cron = schedule.cron
    heartbeat.time_zone = schedule.time_zone
    heartbeat.grace_seconds = int(schedule.grace.total_seconds())


def _watch_from(heartbeat: Heartbeat, base: datetime) -> None:
    schedule = schedule_of(heartbeat)
    heartbeat.next_due_at = schedule.next_due(base)
    heartbeat.alert_after = heartbeat.next_due_at + schedule.grace
    if heartbeat.started_at is not None:
        heartbeat.alert_after = min(heartbeat.alert_after, heartbeat.started_at + schedule.grace)


def check_failures(value: int) -> int:
    if not 1 <= value <= 100:
        raise InvalidInput("alert after 1 to 100 consecutive failures", field="failures")
    return value


def create_heartbeat(
    session: Session,
    *,
    service: Service,
    schedule: Schedule,
    now: datetime,
    name: str | None = None,
    kind: HeartbeatKind = HeartbeatKind.JOB,
    failures_before_alert: int = 1,
) -> tuple[Integration, str]:
    """A heartbeat integration; returns it with its ping uuid, shown this once.

    Watching starts at once: a job that never pings at all is late at its first due time.
    """
    integration, key = create_integration(
        session, service=service, kind=IntegrationKind.HEARTBEAT, now=now, name=name
    )
    heartbeat = Heartbeat(
        integration_id=integration.id,
        service_id=service.id,
        kind=kind,
        failures_before_alert=check_failures(failures_before_alert),
        created_at=now,
    )
    _set_schedule(heartbeat, schedule)
    _watch_from(heartbeat, now)
    session.add(heartbeat)
    session.flush()
    return integration, key


def get_heartbeat(session: Session, heartbeat_id: int) -> Heartbeat:
    heartbeat = session.get(Heartbeat, heartbeat_id)
    if heartbeat is None:
        raise NotFound(f"no heartbeat with id {heartbeat_id}")
    return heartbeat


def list_heartbeats(session: Session, *, service_id: int | None = None) -> list[Heartbeat]:
    query = select(Heartbeat).order_by(Heartbeat.service_id, Heartbeat.id)
    if service_id is not None:
        query = query.where(Heartbeat.service_id == service_id)
    return list(session.scalars(query))


def update_heartbeat(
    session: Session,
    *,
    heartbeat: Heartbeat,
    now: datetime,
    schedule: Schedule | None = None,
    kind: HeartbeatKind | None = None,
    failures_before_alert: int | None = None,
) -> Heartbeat:
    """Change the schedule, kind or failure threshold; the deadline follows the new schedule."""
    if kind is not None:
        heartbeat.kind = kind
    if failures_before_alert is not None:
        heartbeat.failures_before_alert = check_failures(failures_before_alert)
    if schedule is not None:
        _set_schedule(heartbeat, schedule)
        if heartbeat.status in WATCHED:
            _watch_from(heartbeat, heartbeat.last_success_at or now)
    session.flush()
    return heartbeat


def pause(session: Session, *, heartbeat: Heartbeat) -> Heartbeat:
    """Stop watching (a job switched off on purpose); the next ping resumes it."""
    heartbeat.status = HeartbeatStatus.PAUSED
    heartbeat.alert_after = None
    session.flush()
    return heartbeat


def resume(session: Session, *, heartbeat: Heartbeat, now: datetime) -> Heartbeat:
    if heartbeat.status is not HeartbeatStatus.PAUSED:
        raise Conflict("the heartbeat is not paused")
    heartbeat.status = HeartbeatStatus.NEW
    heartbeat.started_at = None
    _watch_from(heartbeat, now)
    session.flush()
    return heartbeat


def recent_pings(session: Session, *, heartbeat_id: int, limit: int = 50) -> list[HeartbeatPing]:
    return list(
        session.scalars(
            select(HeartbeatPing)
            .where(HeartbeatPing.heartbeat_id == heartbeat_id)
            .order_by(HeartbeatPing.id.desc())
            .limit(limit)
        )
    )


def status_in_words(heartbeat: Heartbeat, now: datetime) -> str:
    if heartbeat.status in WATCHED and heartbeat.started_at is not None:
        return "running"
    if heartbeat.status in WATCHED and heartbeat.next_due_at and heartbeat.next_due_at < now:
        return "late"
    return heartbeat.status.value


# --- pings -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ping:
    key: str
    kind: PingKind
    exit_status: int | None
    body: bytes
    body_truncated: bool
    method: str
    remote_addr: str
    user_agent: str


def _alert(heartbeat: Heartbeat, integration: Integration, summary: str) -> Signal:
    severity = Severity.CRITICAL if heartbeat.kind is HeartbeatKind.BACKUP else Severity.ERROR
    return Signal(
        action=Action.TRIGGER,
        dedup_key=ALERT_KEY,
        summary=clean(summary, 1024),
        severity=severity,
        source=clean(integration.name, 255),
        labels={"heartbeat": integration.name, "kind": heartbeat.kind.value},
        details={"schedule": schedule_of(heartbeat).in_words()},
        raw={"heartbeat_id": heartbeat.id, "summary": summary},
    )


def _ref(integration: Integration) -> IntegrationRef:
    return IntegrationRef(
        id=integration.id,
        service_id=integration.service_id,
        kind=integration.kind,
        field_paths={},
    )


def record_ping(session: Session, ping: Ping, now: datetime) -> bool:
    """Record a ping and move the heartbeat on; False when no heartbeat has that uuid."""
    ref = find_by_key(session, key=ping.key, now=now)
    if ref is None or ref.kind is not IntegrationKind.HEARTBEAT:
        return False
    heartbeat = session.scalar(
        select(Heartbeat).where(Heartbeat.integration_id == ref.id).with_for_update()
    )
    if heartbeat is None:
        return False
    integration = heartbeat.integration
    schedule = schedule_of(heartbeat)
    started = heartbeat.started_at
    duration = None
    if ping.kind in (PingKind.SUCCESS, PingKind.FAIL) and started and now - started <= MAX_RUN:
        duration = (now - started).total_seconds()
    heartbeat.last_ping_at = now
    integration.last_signal_at = now
    if heartbeat.status is HeartbeatStatus.PAUSED and ping.kind is not PingKind.LOG:
        heartbeat.status = HeartbeatStatus.NEW
    signal: Signal | None = None
    if ping.kind is PingKind.START:
        heartbeat.started_at = now
        if heartbeat.status in WATCHED:
            _watch_from(heartbeat, heartbeat.last_success_at or heartbeat.created_at)
            assert heartbeat.alert_after is not None
            heartbeat.alert_after = min(heartbeat.alert_after, now + schedule.grace)
    elif ping.kind is PingKind.SUCCESS:
        was_down = heartbeat.status is HeartbeatStatus.DOWN
        heartbeat.status = HeartbeatStatus.UP
        heartbeat.started_at = None
        heartbeat.last_success_at = now
        heartbeat.last_duration_seconds = duration
        heartbeat.consecutive_failures = 0
        _watch_from(heartbeat, now)
        if was_down:
            signal = Signal(action=Action.RESOLVE, dedup_key=ALERT_KEY)
    elif ping.kind is PingKind.FAIL:
        heartbeat.started_at = None
        heartbeat.last_duration_seconds = duration
        heartbeat.consecutive_failures += 1
        if heartbeat.consecutive_failures >= heartbeat.failures_before_alert:
            heartbeat.status = HeartbeatStatus.DOWN
            heartbeat.alert_after = None
            failures = heartbeat.consecutive_failures
            how = f"exit status {ping.exit_status}" if ping.exit_status else "reported failure"
            times = f", {failures} times in a row" if failures > 1 else ""
            signal = _alert(heartbeat, integration, f"{integration.name} failed ({how}{times})")
        elif heartbeat.status in WATCHED:
            # The run happened, so the job is not late; it only has not failed often enough.
            _watch_from(heartbeat, now)
    text = ping.body.decode("utf-8", errors="replace")
    session.add(
        HeartbeatPing(
            heartbeat_id=heartbeat.id,
            kind=ping.kind,
            exit_status=ping.exit_status,
            received_at=now,
            duration_seconds=duration,
            method=ping.method[:8],
            remote_addr=ping.remote_addr[:64],
            user_agent=clean(ping.user_agent, 200),
            body=clean(text, len(text)),
            body_truncated=ping.body_truncated,
        )
    )
    if signal is not None:
        apply_signals(session, integration=_ref(integration), signals=[signal], now=now)
    else:
        session.flush()
    return True


# --- the engine's part -------------------------------------------------------------------------


def _late_summary(heartbeat: Heartbeat, name: str, now: datetime) -> str:
    schedule = schedule_of(heartbeat)
    grace = span_in_words(schedule.grace)
    if heartbeat.started_at is not None and heartbeat.started_at + schedule.grace <= now:
        started = heartbeat.started_at.astimezone(ZoneInfo(heartbeat.time_zone))
        return (
            f"{name} started at {started:%H:%M} {heartbeat.time_zone} "
            f"but did not finish within {grace}"
        )
    if heartbeat.next_due_at is None:
        return f"{name} is late"
    due = heartbeat.next_due_at.astimezone(ZoneInfo(heartbeat.time_zone))
    when = f"{due:%a %d %b %H:%M} {heartbeat.time_zone}"
    if heartbeat.schedule_kind is ScheduleKind.PERIOD:
        return f"{name} is late: no successful run since it was due at {when} (grace {grace})"
    return f"{name} did not run: it was due at {when} and nothing came within {grace}"


# Marking a heartbeat down clears its deadline: that is the claim, re-checked on each row, so
# two engines never both raise the same heartbeat's alert.
_LATE = Claim(
    Heartbeat,
    ready=Heartbeat.status.in_(WATCHED),
    due=Heartbeat.alert_after,
    values={"status": HeartbeatStatus.DOWN, "alert_after": None},
    limit=LATE_BATCH,
)


def raise_late(session: Session, *, now: datetime) -> int:
    """Mark heartbeats past their deadline as down and raise their alerts, up to LATE_BATCH at
    a time (the engine runs again at once when a run took that many)."""
    claimed = _LATE.ids(session, now=now)
    if not claimed:
        return 0
    rows = session.execute(
        select(Heartbeat, Integration)
        .join(Integration, Integration.id == Heartbeat.integration_id)
        .where(Heartbeat.id.in_(claimed))
    )
    by_integration: dict[int, list[Signal]] = defaultdict(list)
    refs: dict[int, IntegrationRef] = {}
    for heartbeat, integration in rows:
        summary = _late_summary(heartbeat, integration.name, now)
        by_integration[integration.id].append(_alert(heartbeat, integration, summary))
        refs[integration.id] = _ref(integration)
    for integration_id, signals in by_integration.items():
        apply_signals(session, integration=refs[integration_id], signals=signals, now=now)
    return len(claimed)


_pruned_at: datetime | None = None


def prune_pings(session: Session, *, now: datetime, keep: int = KEEP_PINGS) -> int:
    """Keep each heartbeat's latest `keep` pings, at most once an hour."""
    global _pruned_at
    if _pruned_at is not None and now - _pruned_at < PRUNE_EVERY:
        return 0
    _pruned_at = now
    newer = aliased(HeartbeatPing)
    cutoff = (
        select(newer.id)
        .where(newer.heartbeat_id == HeartbeatPing.heartbeat_id)
        .order_by(newer.id.desc())
        .offset(keep - 1)
        .limit(1)
        .scalar_subquery()
    )
    result = session.execute(
        delete(HeartbeatPing)
        .where(HeartbeatPing.id < cutoff)
        .execution_options(synchronize_session=False)
    )
    count = getattr(result, "rowcount", 0)
    return int(count) if count and count > 0 else 0
