"""Maintenance windows and silences: alerts still recorded, never escalated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.catalog.models import Service
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.signals.models import MaintenanceWindow, Silence

MAX_WINDOW = timedelta(days=31)
MAX_SILENCE = timedelta(days=90)
MATCHER_OPS = ("=~", "!=", "=")
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!=|=)\s*(.*?)\s*$")


# --- maintenance windows -----------------------------------------------------------------------


def start_maintenance(
    session: Session,
    *,
    service: Service,
    reason: str,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    duration: timedelta | None = None,
    user: User | None = None,
) -> MaintenanceWindow:
    """Plan a window (give `starts_at`) or start one now; it ends at `ends_at` or after
    `duration`."""
    begins = starts_at or now
    if ends_at is None:
        if duration is None:
            raise InvalidInput("give an end time or a duration", field="ends_at")
        ends_at = begins + duration
    if ends_at <= begins:
        raise InvalidInput("the window must end after it starts", field="ends_at")
    if ends_at <= now:
        raise InvalidInput("the window would already be over", field="ends_at")
    if ends_at - begins > MAX_WINDOW:
        raise InvalidInput("a maintenance window lasts at most 31 days", field="ends_at")
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("say why, in 1 to 500 characters", field="reason")
    window = MaintenanceWindow(
        service_id=service.id,
        starts_at=begins,
        ends_at=ends_at,
        reason=reason,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    session.add(window)
    session.flush()
    return window


def end_maintenance(session: Session, *, window_id: int, now: datetime) -> MaintenanceWindow:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound(f"no maintenance window with id {window_id}")
    if window.ends_at <= now:
        raise Conflict("that window is already over")
    # A planned window that has not begun is cancelled: it ends when it would have started.
    window.ends_at = max(now, window.starts_at)
    session.flush()
    return window


def list_maintenance(
    session: Session, *, now: datetime, service_id: int | None = None, include_past: bool = False
) -> list[MaintenanceWindow]:
    query = select(MaintenanceWindow).options(
        selectinload(MaintenanceWindow.service), selectinload(MaintenanceWindow.created_by)
    )
    if not include_past:
        query = query.where(MaintenanceWindow.ends_at > now)
    if service_id is not None:
        query = query.where(MaintenanceWindow.service_id == service_id)
    return list(session.scalars(query.order_by(MaintenanceWindow.starts_at.desc()).limit(200)))


# --- silences ----------------------------------------------------------------------------------


def parse_matchers(text: str) -> list[dict[str, str]]:
    """'alertname=DiskFull, instance=~txn-.*' as matcher dicts (one per comma or line)."""
    matchers = []
    for part in re.split(r"[,\n]", text):
        if not part.strip():
            continue
        found = _MATCHER.match(part)
        if found is None:
            raise InvalidInput(
                f"{part.strip()!r} is not a matcher such as alertname=DiskFull or instance=~txn-.*",
                field="matchers",
            )
        matchers.append({"name": found[1], "op": found[2], "value": found[3]})
    return check_matchers(matchers)


def check_matchers(matchers: list[dict[str, str]]) -> list[dict[str, str]]:
    if not matchers:
        raise InvalidInput("a silence needs at least one matcher", field="matchers")
    if len(matchers) > 20:
        raise InvalidInput("a silence has at most 20 matchers", field="matchers")
    for matcher in matchers:
        if matcher.get("op") not in MATCHER_OPS or not matcher.get("name"):
            raise InvalidInput(
                "each matcher needs a name and an op of =, != or =~", field="matchers"
            )
        if matcher["op"] == "=~":
            try:
                re.compile(matcher["value"])
            except re.error as exc:
                raise InvalidInput(
                    f"{matcher['value']!r} is not a regular expression: {exc}", field="matchers"
                ) from None
    return [{"name": m["name"], "op": m["op"], "value": m["value"]} for m in matchers]


def create_silence(
    session: Session,
    *,
    matchers: list[dict[str, str]],
    comment: str,
    now: datetime,
    expires_at: datetime,
    starts_at: datetime | None = None,
    service: Service | None = None,
    user: User | None = None,
) -> Silence:
    """Silence alerts whose labels or fields match every matcher, until `expires_at`."""
    begins = starts_at or now
    if expires_at <= max(now, begins):
        raise InvalidInput("the silence must expire in the future", field="expires_at")
    if expires_at - begins > MAX_SILENCE:
        raise InvalidInput("a silence lasts at most 90 days", field="expires_at")
    comment = comment.strip()
    if not comment or len(comment) > 500:
        raise InvalidInput("say why, in 1 to 500 characters", field="comment")
    silence = Silence(
        service_id=service.id if service else None,
        matchers=check_matchers(matchers),
        starts_at=begins,
        expires_at=expires_at,
        comment=comment,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    session.add(silence)
    session.flush()
    return silence


def expire_silence(session: Session, *, silence_id: int, now: datetime) -> Silence:
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"no silence with id {silence_id}")
    if silence.expires_at <= now:
        raise Conflict("that silence has already expired")
    silence.expires_at = max(now, silence.starts_at)
    session.flush()
    return silence


def list_silences(
    session: Session, *, now: datetime, include_expired: bool = False
) -> list[Silence]:
    query = select(Silence).options(selectinload(Silence.service), selectinload(Silence.created_by))
    if not include_expired:
        query = query.where(Silence.expires_at > now)
    return list(session.scalars(query.order_by(Silence.expires_at.desc()).limit(200)))


@dataclass(frozen=True, slots=True)
class ActiveSilence:
    id: int
    matchers: tuple[tuple[str, str, str | re.Pattern[str]], ...]

    def matches(self, values: dict[str, Any]) -> bool:
        for name, op, wanted in self.matchers:
            value = values.get(name)
            text = "" if value is None else str(value)
            if op == "=" and text != wanted:
                return False
            if op == "!=" and text == wanted:
                return False
            if isinstance(wanted, re.Pattern) and wanted.fullmatch(text) is None:
                return False
        return True


def _compiled(silence_id: int, matchers: list[dict[str, str]]) -> ActiveSilence:
    compiled: list[tuple[str, str, str | re.Pattern[str]]] = []
    for m in matchers:
        wanted: str | re.Pattern[str] = m["value"]
        if m["op"] == "=~":
            try:
                wanted = re.compile(m["value"])
            except re.error:
                continue
        compiled.append((m["name"], m["op"], wanted))
    return ActiveSilence(id=silence_id, matchers=tuple(compiled))


@dataclass(frozen=True, slots=True)
class Suppression:
    """What holds a service's new alerts back right now: a window, silences, or nothing."""

    window_id: int | None
    silences: list[ActiveSilence]

    def silence_for(self, values: dict[str, Any]) -> int | None:
        for silence in self.silences:
            if silence.matches(values):
                return silence.id
        return None


# Built once: every stored alert asks, and building a statement costs more than running it.
_WINDOWS = select(MaintenanceWindow.service_id, MaintenanceWindow.id).where(
    MaintenanceWindow.service_id.in_(bindparam("services", expanding=True)),
    MaintenanceWindow.starts_at <= bindparam("now"),
    MaintenanceWindow.ends_at > bindparam("now"),
)
_SILENCES = select(Silence.id, Silence.service_id, Silence.matchers).where(
    Silence.starts_at <= bindparam("now"),
    Silence.expires_at > bindparam("now"),
    or_(
        Silence.service_id.is_(None),
        Silence.service_id.in_(bindparam("services", expanding=True)),
    ),
)


def suppressions_for(
    session: Session, *, service_ids: set[int], now: datetime
) -> dict[int, Suppression]:
    """What holds back new alerts of each of these services right now, in two queries."""
    values = {"services": list(service_ids), "now": now}
    windows = dict(session.execute(_WINDOWS, values).all())
    silences: dict[int | None, list[ActiveSilence]] = {}
    for silence_id, service_id, matchers in session.execute(_SILENCES, values):
        silences.setdefault(service_id, []).append(_compiled(silence_id, matchers))
    everywhere = silences.get(None, [])
    return {
        service_id: Suppression(
            window_id=windows.get(service_id),
            silences=[*silences.get(service_id, []), *everywhere],
        )
        for service_id in service_ids
    }


def suppression_for(session: Session, *, service_id: int, now: datetime) -> Suppression:
    return suppressions_for(session, service_ids={service_id}, now=now)[service_id]
