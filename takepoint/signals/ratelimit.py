"""Per-key token buckets for the machine endpoints, in bounded memory.

A runaway sender is told to slow down (429 with Retry-After) before its flood reaches the
database. The buckets live in this process only: behind several web processes each enforces
its own share, which is the point — every process protects itself.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from takepoint.lib.errors import RateLimited

MAX_TRACKED_KEYS = 20_000


@dataclass(frozen=True)
class Limits:
    """`per_second` sustained with bursts of `burst`, per key."""

    per_second: float = 100.0
    burst: float = 1000.0


# A monitoring system that re-sends every firing alert each minute stays well inside these; a
# loop that posts as fast as it can does not.
DEFAULT_LIMITS = Limits()
# Pings for uuids that do not exist, per client address: enough for a typo, not for guessing.
MISS_LIMITS = Limits(per_second=2.0, burst=20.0)


class RateLimiter:
    def __init__(self, limits: Limits, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> None:
        """Spend `cost` tokens of `key`'s bucket, or raise RateLimited saying when to retry."""
        now = self._monotonic()
        rate, burst = self.limits.per_second, self.limits.burst
        with self._lock:
            tokens, last = self._buckets.pop(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < cost:
                self._buckets[key] = (tokens, now)
                self._trim()
                wait = (cost - tokens) / rate if rate > 0 else 60.0
                raise RateLimited(
                    "too many events for this integration key; slow down",
                    retry_after=max(1, math.ceil(wait)),
                )
            self._buckets[key] = (tokens - cost, now)
            self._trim()

    def _trim(self) -> None:
        # Least recently used keys go first; a forgotten key simply starts with a full bucket.
        while len(self._buckets) > MAX_TRACKED_KEYS:
            self._buckets.popitem(last=False)


def limiter_for(app: Any, name: str, default: Limits) -> RateLimiter:
    """The app's limiter called `name`; tests set `app.state.signal_limits[name]` to tighten it."""
    limiters: dict[str, RateLimiter] = getattr(app.state, "signal_limiters", None) or {}
    if name not in limiters:
        overrides: dict[str, Limits] = getattr(app.state, "signal_limits", None) or {}
        limiters[name] = RateLimiter(overrides.get(name, default))
        app.state.signal_limiters = limiters
    return limiters[name]
