"""Maintenance windows and silences: alerts still recorded, never escalated."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import re2
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.catalog.models import Service
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.signals.models import MaintenanceWindow, Silence

log = logging.getLogger(__name__)

MAX_WINDOW = timedelta(days=31)
MAX_SILENCE = timedelta(days=90)
MATCHER_OPS = ("=~", "!=", "=")
MAX_PATTERN = 1000
# What RE2 may spend on one pattern, compiled and matching; a pattern that needs more is refused.
PATTERN_MEMORY = 1024 * 1024
_RE2_SYNTAX = (
    "patterns are RE2 syntax and match the whole value; RE2 has no backreferences (\\1) "
    "and no lookaround ((?=, (?!, (?<=, (?<!)"
)
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
            compile_pattern(matcher["value"])
    return [{"name": m["name"], "op": m["op"], "value": m["value"]} for m in matchers]


def compile_pattern(value: str) -> re2._Regexp[str]:
    """An =~ matcher's value compiled with RE2; InvalidInput naming `matchers` if RE2 refuses it.

    Security: a silence's pattern is run against the text of every new alert that senders
    choose. Python's `re` backtracks, and `(a+)+$` against 28 a's and a "!" took seconds while
    holding the GIL, so every request (/healthz too) waited. RE2 matches in time linear in the
    text, within `PATTERN_MEMORY`, and releases the GIL while it matches.
    """
    shown = value if len(value) <= 80 else value[:80] + "…"
    if len(value) > MAX_PATTERN:
        raise InvalidInput(
            f"the pattern {shown!r} is longer than {MAX_PATTERN} characters", field="matchers"
        )
    try:
        return re2.compile(value, _re2_options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise InvalidInput(
            f"the pattern {shown!r} cannot be used ({reason}): {_RE2_SYNTAX}", field="matchers"
        ) from None
    except UnicodeEncodeError:
        raise InvalidInput(
            f"the pattern {shown!r} holds an unpaired UTF-16 surrogate", field="matchers"
        ) from None


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.max_mem = PATTERN_MEMORY
    options.never_capture = True  # only "does it match" is asked
    options.log_errors = False  # a refused pattern is the caller's error, not the server's
    return options


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
class _Matcher:
    name: str
    op: str
    value: str
    # For =~: the compiled pattern, or None when it cannot be compiled (it then matches nothing).
    pattern: re2._Regexp[str] | None = None

    def matches(self, text: str) -> bool:
        if self.op == "=":
            return text == self.value
        if self.op == "!=":
            return text != self.value
        if self.pattern is None:
            return False
        try:
            return self.pattern.fullmatch(text) is not None
        except UnicodeEncodeError:  # half a surrogate pair: no stored value holds one
            return False


@dataclass(frozen=True, slots=True)
class ActiveSilence:
    id: int
    matchers: tuple[_Matcher, ...]

    def matches(self, values: dict[str, Any]) -> bool:
        for matcher in self.matchers:
            value = values.get(matcher.name)
            if not matcher.matches("" if value is None else str(value)):
                return False
        return True


def _compiled(silence_id: int, matchers: list[dict[str, str]]) -> ActiveSilence:
    compiled = []
    for m in matchers:
        pattern = _stored_pattern(silence_id, m["value"]) if m["op"] == "=~" else None
        compiled.append(_Matcher(name=m["name"], op=m["op"], value=m["value"], pattern=pattern))
    return ActiveSilence(id=silence_id, matchers=tuple(compiled))


@functools.lru_cache(maxsize=1024)
def _stored_pattern(silence_id: int, value: str) -> re2._Regexp[str] | None:
    # A silence saved before patterns were RE2 may hold one RE2 refuses (a lookahead, a
    # backreference). Its matcher matches nothing, so the silence holds back fewer alerts, never
    # more: a broken silence must not page nobody. Cached, so it is logged once, not per alert.
    try:
        return compile_pattern(value)
    except InvalidInput as exc:
        log.warning("silence %d matches nothing: %s", silence_id, exc.message)
        return None


@dataclass(frozen=True, slots=True)
class Suppression:
    """What holds a service's new alerts back right now: a window, silences, or nothing."""

    window_id: int | None
    silences: list[ActiveSilence]

    def silence_for(self, values: dict[str, Any]) -> int | None:
        """The first silence that matches these values, if any.

        Concurrency: this runs where alerts are stored, never on the event loop: on the signal
        writer's thread for events and pings (`writer.py`) and on an engine lane's thread for
        late heartbeats. A thread is not enough on its own, since a pattern that held the GIL
        would stall the event loop all the same; RE2 gives the GIL up while it matches, and
        matches in time linear in the value.
        """
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
