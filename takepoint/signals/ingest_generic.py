"""A generic JSON webhook: the integration says where the summary, dedup key, status, severity
and source are in the sender's JSON, as dotted paths.

A body may be one object or an array of them. Without a dedup key, events with the same summary
and source are the same alert, which is what a tool that sends no key usually means.
"""

from __future__ import annotations

import json
from typing import Any

from takepoint.lib.errors import InvalidInput
from takepoint.signals.alerts import Action, Signal
from takepoint.signals.models import Severity
from takepoint.signals.parsing import (
    DEDUP_KEY_LIMIT,
    clean,
    dig,
    digest_key,
    severity_from,
    summary_text,
)

MAX_EVENTS = 1000
RESOLVE_WORDS = {"resolve", "resolved", "ok", "closed", "recovered", "up", "normal", "cleared"}
ACK_WORDS = {"acknowledge", "acknowledged", "ack"}


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _one(item: Any, paths: dict[str, str], where: str) -> Signal:
    if not isinstance(item, dict):
        raise InvalidInput("each event must be a JSON object", field=where)
    summary = _scalar_text(dig(item, paths["summary"]))
    if summary is None or not summary.strip():
        raise InvalidInput(
            f"no summary at '{paths['summary']}' (a non-empty string is needed)",
            field=f"{where}.{paths['summary']}".lstrip("."),
        )
    source = _scalar_text(dig(item, paths["source"])) or ""
    status = (_scalar_text(dig(item, paths["status"])) or "").strip().lower()
    action = (
        Action.RESOLVE
        if status in RESOLVE_WORDS
        else Action.ACKNOWLEDGE
        if status in ACK_WORDS
        else Action.TRIGGER
    )
    dedup = _scalar_text(dig(item, paths["dedup_key"]))
    key = clean(dedup, DEDUP_KEY_LIMIT) if dedup and dedup.strip() else digest_key(summary, source)
    return Signal(
        action=action,
        dedup_key=key,
        summary=summary_text(summary),
        severity=severity_from(dig(item, paths["severity"]), Severity.ERROR),
        source=clean(source, 255),
        raw=item,
    )


def parse_webhook(data: Any, *, field_paths: dict[str, str]) -> list[Signal]:
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidInput("the array has no events", field="body")
    if len(items) > MAX_EVENTS:
        raise InvalidInput(f"at most {MAX_EVENTS} events in one request", field="body")
    prefix = "" if not isinstance(data, list) else "{index}"
    return [_one(item, field_paths, prefix.format(index=index)) for index, item in enumerate(items)]
