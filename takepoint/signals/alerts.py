"""Alerts: every signal opens, updates, acknowledges or resolves one, in a few set-based
statements per batch so a storm of Alertmanager groups costs a handful of queries."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.lib.deps import wake_engine
from takepoint.lib.errors import Conflict, NotFound
from takepoint.lib.registry import Lane
from takepoint.signals.integrations import IntegrationRef
from takepoint.signals.maintenance import Suppression, suppressions_for
from takepoint.signals.models import Alert, AlertState, Integration, Severity

SUMMARY_LIMIT = 1024
LIVE_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


class Action(enum.StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class Signal:
    """One parsed, validated event from any source, ready to apply."""

    action: Action
    dedup_key: str
    summary: str = ""
    severity: Severity = Severity.ERROR
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def match_values(self) -> dict[str, Any]:
        # Silences name labels (alertname=DiskFull) or these fields; a label wins a clash
        # because labels are what the sender's own people see.
        return {
            "summary": self.summary,
            "source": self.source,
            "severity": self.severity.value,
            "dedup_key": self.dedup_key,
            **{k: v for k, v in self.details.items() if k in ("component", "group", "class")},
            **self.labels,
        }


@dataclass(slots=True)
class Outcome:
    opened: int = 0
    updated: int = 0
    acknowledged: int = 0
    resolved: int = 0
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class Routed:
    """A signal on its way to an alert, with the outcome of the request it came in."""

    integration: IntegrationRef
    signal: Signal
    outcome: Outcome
    digest: str


def digest_of(raw: dict[str, Any]) -> str:
    """A short digest of a payload, computed where the request is parsed, not in the writer.

    Keys are not sorted: a sender repeats its payloads in its own order, and the rare false
    "changed" costs only a rewrite of the payload columns. The payload came from JSON, so
    Python's repr spells it completely and the same way every time, at half the cost of
    serialising it again (a batched alert's largest single cost on the request's side).
    """
    blob = repr(raw).encode("utf-8", "backslashreplace")
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


# Keys per IN (...) list: below SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 2000


def _runs(items: Sequence[Routed]) -> Iterable[list[Routed]]:
    # Split into runs without a repeated (integration, dedup key), keeping order, so that
    # "trigger then resolve" of one alert in one batch is applied in that order.
    run: list[Routed] = []
    seen: set[tuple[int, str]] = set()
    for item in items:
        identity = (item.integration.id, item.signal.dedup_key)
        if identity in seen:
            yield run
            run, seen = [], set()
        run.append(item)
        seen.add(identity)
    if run:
        yield run


def apply_signals(
    session: Session,
    *,
    integration: IntegrationRef,
    signals: Sequence[Signal],
    now: datetime,
    suppression: Suppression | None = None,
) -> Outcome:
    """Apply a batch of signals from one integration; returns what happened to them."""
    outcome = Outcome()
    known = {integration.service_id: suppression} if suppression is not None else {}
    apply_routed(
        session,
        [Routed(integration, signal, outcome, digest_of(signal.raw)) for signal in signals],
        now=now,
        suppressions=known,
    )
    return outcome


_INTEGRATIONS = Integration.__table__
assert isinstance(_INTEGRATIONS, Table)
_SIGNALLED = (
    update(_INTEGRATIONS)
    .where(_INTEGRATIONS.c.id.in_(bindparam("ids", expanding=True)))
    .values(last_signal_at=bindparam("at"))
)


def apply_routed(
    session: Session,
    items: Sequence[Routed],
    *,
    now: datetime,
    suppressions: dict[int, Suppression] | None = None,
) -> None:
    """Apply signals from any number of integrations in a handful of statements.

    Each item's outcome is counted into `item.outcome`. Nothing is validated here: callers
    pass only signals that were fully parsed and checked.
    """
    if not items:
        return
    known = dict(suppressions or {})
    missing = {item.integration.service_id for item in items} - set(known)
    if missing:
        known.update(suppressions_for(session, service_ids=missing, now=now))
    opened = 0
    for run in _runs(items):
        opened += _apply_run(session, run, now, known)
    session.connection().execute(
        _SIGNALLED, {"ids": list({item.integration.id for item in items}), "at": now}
    )
    if opened:
        wake_engine(session, Lane.PAGING)


# Above this many (integration, key) combinations, one query per integration is cheaper than
# one query whose two IN lists the index must probe as a cross product.
CROSS_PRODUCT_LIMIT = 4000


_ALERTS = Alert.__table__
assert isinstance(_ALERTS, Table)
_LIVE = select(
    _ALERTS.c.integration_id, _ALERTS.c.open_key, _ALERTS.c.id, _ALERTS.c.raw_digest
).where(
    _ALERTS.c.integration_id.in_(bindparam("integrations", expanding=True)),
    _ALERTS.c.open_key.in_(bindparam("keys", expanding=True)),
)


def _live_alerts(session: Session, run: list[Routed]) -> dict[tuple[int, str], tuple[int, str]]:
    """(integration id, dedup key) -> (alert id, raw digest) of the run's live alerts.

    Every statement counts: the writer thread waits for the GIL after each one.
    """
    keys_of: dict[int, set[str]] = {}
    for item in run:
        keys_of.setdefault(item.integration.id, set()).add(item.signal.dedup_key)
    all_keys = {key for keys in keys_of.values() for key in keys}
    if len(keys_of) * len(all_keys) <= CROSS_PRODUCT_LIMIT:
        lookups = [(list(keys_of), list(all_keys))]
    else:
        lookups = [([integration_id], list(keys)) for integration_id, keys in keys_of.items()]
    connection = session.connection()
    live: dict[tuple[int, str], tuple[int, str]] = {}
    for integration_ids, keys in lookups:
        for start in range(0, len(keys), IN_CHUNK):
            rows = connection.execute(
                _LIVE, {"integrations": integration_ids, "keys": keys[start : start + IN_CHUNK]}
            )
            for integration_id, open_key, alert_id, digest in rows:
                live[(integration_id, open_key)] = (alert_id, digest)
    return live


def _apply_run(
    session: Session, run: list[Routed], now: datetime, suppressions: dict[int, Suppression]
) -> int:
    table = Alert.__table__
    assert isinstance(table, Table)
    live = _live_alerts(session, run)
    inserts: list[dict[str, Any]] = []
    refreshes: list[dict[str, Any]] = []
    repeats: list[int] = []
    acks: list[int] = []
    resolves: list[int] = []
    for item in run:
        signal, outcome = item.signal, item.outcome
        alert_id, stored_digest = live.get((item.integration.id, signal.dedup_key), (None, ""))
        if signal.action is Action.TRIGGER:
            if alert_id is None:
                suppression = suppressions[item.integration.service_id]
                inserts.append(_new_alert(item, now, suppression))
                outcome.opened += 1
            elif stored_digest == item.digest:
                repeats.append(alert_id)
                outcome.updated += 1
            else:
                refreshes.append(
                    {
                        "b_id": alert_id,
                        "b_seen": now,
                        "b_digest": item.digest,
                        "b_summary": signal.summary[:SUMMARY_LIMIT],
                        "b_severity": signal.severity,
                        "b_source": signal.source[:255],
                        "b_labels": signal.labels,
                        "b_details": signal.details,
                        "b_raw": signal.raw,
                    }
                )
                outcome.updated += 1
        elif alert_id is None:
            # PagerDuty accepts an acknowledge or resolve for an unknown key and does nothing.
            outcome.ignored += 1
        elif signal.action is Action.ACKNOWLEDGE:
            acks.append(alert_id)
            outcome.acknowledged += 1
        else:
            resolves.append(alert_id)
            outcome.resolved += 1
    if inserts:
        session.execute(insert(table), inserts)
    if refreshes:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                last_seen_at=bindparam("b_seen"),
                event_count=table.c.event_count + 1,
                summary=bindparam("b_summary"),
                severity=bindparam("b_severity"),
                source=bindparam("b_source"),
                labels=bindparam("b_labels"),
                details=bindparam("b_details"),
                raw=bindparam("b_raw"),
                raw_digest=bindparam("b_digest"),
            ),
            refreshes,
        )
    # A run holds each alert at most once, so a repeat is one UPDATE for all of them rather
    # than one bound row each: re-sent groups are most of an Alertmanager storm.
    for start in range(0, len(repeats), IN_CHUNK):
        session.execute(
            update(table)
            .where(table.c.id.in_(repeats[start : start + IN_CHUNK]))
            .values(last_seen_at=now, event_count=table.c.event_count + 1)
        )
    if acks:
        session.execute(
            update(Alert)
            .where(Alert.id.in_(acks), Alert.state == AlertState.OPEN)
            .values(state=AlertState.ACKNOWLEDGED, acknowledged_at=now, last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    if resolves:
        session.execute(
            update(Alert)
            .where(Alert.id.in_(resolves), Alert.state.in_(LIVE_STATES))
            .values(state=AlertState.RESOLVED, resolved_at=now, open_key=None, needs_triage=False)
            .execution_options(synchronize_session=False)
        )
    return len(inserts)


def _new_alert(item: Routed, now: datetime, suppression: Suppression) -> dict[str, Any]:
    integration, signal = item.integration, item.signal
    silence_id = suppression.silence_for(signal.match_values()) if suppression.silences else None
    during_maintenance = suppression.window_id is not None
    return {
        "integration_id": integration.id,
        "service_id": integration.service_id,
        "dedup_key": signal.dedup_key,
        "open_key": signal.dedup_key,
        "state": AlertState.OPEN,
        "severity": signal.severity,
        "summary": signal.summary[:SUMMARY_LIMIT],
        "source": signal.source[:255],
        "labels": signal.labels,
        "details": signal.details,
        "raw": signal.raw,
        "raw_digest": item.digest,
        "first_seen_at": now,
        "last_seen_at": now,
        "event_count": 1,
        "acknowledged_at": None,
        "resolved_at": None,
        "during_maintenance": during_maintenance,
        "silence_id": silence_id,
        "needs_triage": not during_maintenance and silence_id is None,
    }


# --- people working with alerts ----------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilter:
    service_id: int | None = None
    states: tuple[AlertState, ...] = LIVE_STATES
    severity: Severity | None = None
    text: str | None = None
    limit: int = 100


def _filtered(query: Select[Alert], wanted: AlertFilter) -> Select[Alert]:
    if wanted.service_id is not None:
        query = query.where(Alert.service_id == wanted.service_id)
    if wanted.states:
        query = query.where(Alert.state.in_(wanted.states))
    if wanted.severity is not None:
        query = query.where(Alert.severity == wanted.severity)
    if wanted.text:
        pattern = f"%{wanted.text.strip()}%"
        query = query.where(
            or_(
                Alert.summary.ilike(pattern),
                Alert.source.ilike(pattern),
                Alert.dedup_key.ilike(pattern),
            )
        )
    return query


def list_alerts(session: Session, wanted: AlertFilter) -> list[Alert]:
    query = _filtered(
        select(Alert).options(selectinload(Alert.service), selectinload(Alert.integration)),
        wanted,
    )
    return list(session.scalars(query.order_by(Alert.last_seen_at.desc()).limit(wanted.limit)))


def count_live(
    session: Session,
    *,
    service_id: int | None = None,
    states: tuple[AlertState, ...] = LIVE_STATES,
) -> int:
    query = select(func.count()).select_from(Alert).where(Alert.state.in_(states))
    if service_id is not None:
        query = query.where(Alert.service_id == service_id)
    return session.scalar(query) or 0


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.scalar(
        select(Alert)
        .options(
            selectinload(Alert.service),
            selectinload(Alert.integration),
            selectinload(Alert.silence),
        )
        .where(Alert.id == alert_id)
    )
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    return alert


def acknowledge(session: Session, *, alert_id: int, user: User, now: datetime) -> Alert:
    """Acknowledge an open alert: someone is looking at it."""
    alert = get_alert(session, alert_id)
    if alert.state is not AlertState.OPEN:
        raise Conflict(f"alert {alert.id} is {alert.state.value}, not open")
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = now
    session.flush()
    return alert


def resolve(session: Session, *, alert_id: int, user: User, now: datetime) -> Alert:
    """Resolve an alert by hand; a new trigger from the source opens a new one."""
    alert = get_alert(session, alert_id)
    if alert.state is AlertState.RESOLVED:
        raise Conflict(f"alert {alert.id} is already resolved")
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.open_key = None
    alert.needs_triage = False
    session.flush()
    return alert
