"""Grafana's webhook contact point.

Grafana alerting (8 and later) sends an Alertmanager-shaped group with a fingerprint per alert;
legacy dashboard alerts (Grafana 7 and earlier) send one rule's state, keyed by its rule id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from takepoint.lib.errors import InvalidInput
from takepoint.signals.alerts import Action, Signal
from takepoint.signals.ingest_alertmanager import alert_signals
from takepoint.signals.models import Severity
from takepoint.signals.parsing import clean, digest_key, string_map, summary_text

LEGACY_STATES = {
    "alerting": Action.TRIGGER,
    "no_data": Action.TRIGGER,
    "ok": Action.RESOLVE,
    "paused": Action.RESOLVE,
    "pending": None,
}
GRAFANA_FIELDS = ("title", "state", "message", "orgId", "truncatedAlerts")


def _legacy(data: dict[str, Any]) -> list[Signal]:
    state = data.get("state")
    if not isinstance(state, str) or state not in LEGACY_STATES:
        raise InvalidInput(
            "'state' must be alerting, no_data, ok, paused or pending", field="state"
        )
    action = LEGACY_STATES[state]
    if action is None:
        return []
    rule_id = data.get("ruleId")
    title = data.get("title") or data.get("ruleName")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput("'title' or 'ruleName' must be a non-empty string", field="title")
    tags = string_map(data.get("tags", {})) or {}
    key = f"rule-{rule_id}" if isinstance(rule_id, int | str) else digest_key(title)
    message = data.get("message")
    return [
        Signal(
            action=action,
            dedup_key=clean(key, 255),
            summary=summary_text(title),
            severity=Severity.CRITICAL if state == "alerting" else Severity.WARNING,
            source="grafana",
            labels=tags,
            details={"message": message} if isinstance(message, str) else {},
            raw=data,
        )
    ]


def parse_webhook(data: Any, *, now: datetime) -> list[Signal]:
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    if "alerts" not in data and ("ruleId" in data or "ruleName" in data):
        return _legacy(data)
    return alert_signals(data, now=now, source_name="grafana", extra=GRAFANA_FIELDS)
