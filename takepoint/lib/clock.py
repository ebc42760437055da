from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that tests move by hand; it never moves by itself."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = require_aware(moment)


def require_aware(moment: datetime, name: str = "datetime") -> datetime:
    """Return `moment` in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def wall_time(moment: datetime, zone: str) -> str:
    """`moment` as the clock on the wall reads it in `zone`, with the zone named, for text a
    person reads outside a page (a message): "2026-02-27 07:40 Europe/London"."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    return f"{require_aware(moment).astimezone(tz):%Y-%m-%d %H:%M} {zone}"
