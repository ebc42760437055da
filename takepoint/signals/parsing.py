"""Small helpers every source's parser shares: clean text, severities, timestamps, paths."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from takepoint.lib.numbers import is_digits
from takepoint.signals.models import Severity

DEDUP_KEY_LIMIT = 255

# What monitoring tools call their levels, mapped onto PagerDuty's four.
SEVERITY_WORDS = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "p1": Severity.CRITICAL,
    "high": Severity.ERROR,
    "error": Severity.ERROR,
    "err": Severity.ERROR,
    "major": Severity.ERROR,
    "p2": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "minor": Severity.WARNING,
    "medium": Severity.WARNING,
    "p3": Severity.WARNING,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "low": Severity.INFO,
    "none": Severity.INFO,
    "ok": Severity.INFO,
    "p4": Severity.INFO,
    "p5": Severity.INFO,
}


def clean(text: str, limit: int) -> str:
    # NUL cannot be stored in a PostgreSQL text column; nothing a person reads contains one.
    return text.replace("\x00", "")[:limit]


SUMMARY_LIMIT = 1024


def summary_text(text: str) -> str:
    """A summary as stored: cut to the column with a visible "…" when longer (the whole text
    stays in the alert's details), never silently."""
    text = text.strip().replace("\x00", "")
    if len(text) <= SUMMARY_LIMIT:
        return text
    return text[: SUMMARY_LIMIT - 1] + "…"


def severity_from(value: Any, default: Severity) -> Severity:
    if isinstance(value, str):
        return SEVERITY_WORDS.get(value.strip().lower(), default)
    return default


def string_map(value: Any) -> dict[str, str] | None:
    """A JSON object as strings (labels, annotations), or None when it is not an object."""
    if not isinstance(value, dict):
        return None
    result = {}
    for key, item in value.items():
        text = item if type(item) is str else json.dumps(item)
        # Cleaning is rarely needed; checking first keeps a storm of labels cheap.
        if len(key) > 200 or "\x00" in key:
            key = clean(key, 200)
        if len(text) > 4000 or "\x00" in text:
            text = clean(text, 4000)
        result[key] = text
    return result


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 time; a naive one is taken as UTC. None when it is not one."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return _parse_text(value)


# A storm repeats the same few start times in every re-sent group; datetimes are immutable.
@functools.lru_cache(maxsize=4096)
def _parse_text(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Go writes nanoseconds; Python reads at most microseconds.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = head + "." + tail[: min(digits, 6)] + tail[digits:]
        if digits == 0:
            text = head + tail
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def digest_key(*parts: Any) -> str:
    """A stable dedup key made from values, for senders that give none."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ("alert.labels.host", "alerts.0.title"), or None."""
    node = data
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and is_digits(part) and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
