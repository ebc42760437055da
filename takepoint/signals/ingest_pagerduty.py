"""PagerDuty Events API v2: the same fields, the same answers, the same status codes.

Tools built for PagerDuty send here with only the base URL changed; the `routing_key` is the
integration's key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from takepoint.signals.alerts import Action, Signal
from takepoint.signals.models import Severity
from takepoint.signals.parsing import DEDUP_KEY_LIMIT, clean, parse_time

ROUTING_KEY_LENGTH = 32
SUMMARY_LIMIT = 1024
FIELD_LIMIT = 255
PD_SEVERITIES = {s.value: s for s in Severity}
OPTIONAL_TEXT = ("component", "group", "class")


@dataclass(frozen=True)
class PagerDutyEvent:
    routing_key: str
    signal: Signal


class InvalidEvent(Exception):
    """PagerDuty's 400: each error names the field, as PagerDuty's own messages do."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _text(data: dict[str, Any], name: str, path: str, errors: list[str], *, limit: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(f"'{path}' must be a string")
        return ""
    if len(value) > limit:
        errors.append(f"Length of '{path}' is too long (max {limit} characters)")
    return value


def _links(value: Any, path: str, required: str, errors: list[str]) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"'{path}' must be an array")
        return []
    items = []
    for index, item in enumerate(value[:50]):
        if not isinstance(item, dict) or not isinstance(item.get(required), str):
            errors.append(f"'{path}[{index}].{required}' is missing or not a string")
            continue
        items.append({k: clean(v, 2000) for k, v in item.items() if isinstance(v, str)})
    return items


def parse_event(data: Any) -> PagerDutyEvent:
    """Validate a v2 event completely, raising InvalidEvent with every problem found."""
    if not isinstance(data, dict):
        raise InvalidEvent(["Event object must be a JSON object"])
    errors: list[str] = []
    routing_key = data.get("routing_key")
    if routing_key is not None and not isinstance(routing_key, str):
        errors.append("'routing_key' must be a string (quote it)")
        routing_key = ""
    elif not isinstance(routing_key, str) or not routing_key.strip():
        errors.append("'routing_key' is missing or blank")
        routing_key = ""
    elif len(routing_key) != ROUTING_KEY_LENGTH:
        errors.append(f"'routing_key' must be {ROUTING_KEY_LENGTH} characters")
    action_value = data.get("event_action")
    action = (
        Action(action_value)
        if isinstance(action_value, str) and action_value in Action.__members__.values()
        else None
    )
    if action is None:
        errors.append(
            "'event_action' is missing or invalid (must be one of trigger, acknowledge, resolve)"
        )
    dedup_key = data.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    elif isinstance(dedup_key, str) and len(dedup_key) > DEDUP_KEY_LIMIT:
        errors.append(f"Length of 'dedup_key' is too long (max {DEDUP_KEY_LIMIT} characters)")
    if action in (Action.ACKNOWLEDGE, Action.RESOLVE) and not (dedup_key or "").strip():
        errors.append("'dedup_key' is missing or blank")
    payload = data.get("payload")
    summary, source, severity = "", "", Severity.ERROR
    details: dict[str, Any] = {}
    if action is Action.TRIGGER or payload is not None:
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
            payload = {}
        summary = _text(payload, "summary", "payload.summary", errors, limit=SUMMARY_LIMIT)
        source = _text(payload, "source", "payload.source", errors, limit=FIELD_LIMIT)
        if action is Action.TRIGGER:
            if not summary.strip():
                errors.append("'payload.summary' is missing or blank")
            if not source.strip():
                errors.append("'payload.source' is missing or blank")
            raw_severity = payload.get("severity")
            if not isinstance(raw_severity, str) or raw_severity not in PD_SEVERITIES:
                errors.append(
                    "'payload.severity' is missing or invalid "
                    "(must be one of critical, error, warning, info)"
                )
            else:
                severity = PD_SEVERITIES[raw_severity]
        for name in OPTIONAL_TEXT:
            value = _text(payload, name, f"payload.{name}", errors, limit=FIELD_LIMIT)
            if value:
                details[name] = clean(value, FIELD_LIMIT)
        if "timestamp" in payload:
            if parse_time(payload["timestamp"]) is None:
                errors.append("'payload.timestamp' must be an ISO 8601 date and time")
            else:
                details["timestamp"] = payload["timestamp"]
        if payload.get("custom_details") is not None:
            details["custom_details"] = payload["custom_details"]
    for name in ("client", "client_url"):
        value = _text(data, name, name, errors, limit=2000)
        if value:
            details[name] = clean(value, 2000)
    links = _links(data.get("links"), "links", "href", errors)
    images = _links(data.get("images"), "images", "src", errors)
    if errors:
        raise InvalidEvent(errors)
    assert action is not None and isinstance(routing_key, str)
    if links:
        details["links"] = links
    if images:
        details["images"] = images
    # PagerDuty makes a key when a trigger has none and returns it; so do we.
    key = clean(dedup_key, DEDUP_KEY_LIMIT) if dedup_key else uuid.uuid4().hex
    raw = {k: v for k, v in data.items() if k != "routing_key"}
    signal = Signal(
        action=action,
        dedup_key=key,
        summary=clean(summary, SUMMARY_LIMIT),
        severity=severity,
        source=clean(source, FIELD_LIMIT),
        details=details,
        raw=raw,
    )
    return PagerDutyEvent(routing_key=routing_key, signal=signal)
