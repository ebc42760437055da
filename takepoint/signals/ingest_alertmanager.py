"""Prometheus Alertmanager's webhook, payload version 4.

One request carries a whole group: every alert in it, firing or resolved, each with a stable
`fingerprint` that is its dedup key. A resolved alert (or one whose `endsAt` has passed)
resolves; labels and annotations are kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from takepoint.lib.errors import InvalidInput
from takepoint.signals.alerts import Action, Signal
from takepoint.signals.models import Severity
from takepoint.signals.parsing import (
    DEDUP_KEY_LIMIT,
    clean,
    digest_key,
    parse_time,
    severity_from,
    string_map,
    summary_text,
)

MAX_ALERTS = 5000
SUMMARY_ANNOTATIONS = ("summary", "description", "message", "title")
# Kept beside each alert in its raw payload; the group's labels are merged into the alert's own.
GROUP_FIELDS = ("receiver", "groupKey", "externalURL")


def _summary(labels: dict[str, str], annotations: dict[str, str]) -> str:
    for name in SUMMARY_ANNOTATIONS:
        if annotations.get(name, "").strip():
            return annotations[name].strip()
    name = labels.get("alertname", "alert")
    where = labels.get("instance") or labels.get("job") or ""
    return f"{name} on {where}" if where else name


ZERO_TIME = "0001-01-01T00:00:00Z"
ZERO_MOMENT = datetime.min.replace(tzinfo=UTC)


def _check_time(item: dict[str, Any], name: str, where: str) -> datetime | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    if value == ZERO_TIME:  # the common case, spared the parsing
        return ZERO_MOMENT
    moment = parse_time(value)
    if moment is None:
        raise InvalidInput(f"'{name}' must be an RFC 3339 time", field=f"{where}.{name}")
    return moment


def alert_signals(
    data: dict[str, Any], *, now: datetime, source_name: str, extra: tuple[str, ...] = ()
) -> list[Signal]:
    """The signals in an Alertmanager-shaped group (Alertmanager and Grafana share it)."""
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidInput("'alerts' must be an array of alerts", field="alerts")
    if len(alerts) > MAX_ALERTS:
        raise InvalidInput(f"at most {MAX_ALERTS} alerts in one request", field="alerts")
    common = string_map(data.get("commonLabels")) or {}
    group = {k: data[k] for k in (*GROUP_FIELDS, *extra) if k in data}
    signals = []
    for index, item in enumerate(alerts):
        where = f"alerts.{index}"
        if not isinstance(item, dict):
            raise InvalidInput("each alert must be an object", field=where)
        labels = string_map(item.get("labels", {}))
        annotations = string_map(item.get("annotations", {}))
        if labels is None:
            raise InvalidInput("'labels' must be an object of strings", field=f"{where}.labels")
        if annotations is None:
            raise InvalidInput(
                "'annotations' must be an object of strings", field=f"{where}.annotations"
            )
        status = item.get("status", data.get("status"))
        if status not in ("firing", "resolved"):
            raise InvalidInput("'status' must be firing or resolved", field=f"{where}.status")
        fingerprint = item.get("fingerprint")
        if fingerprint is not None and not isinstance(fingerprint, str):
            raise InvalidInput("'fingerprint' must be a string", field=f"{where}.fingerprint")
        if not labels and not fingerprint:
            raise InvalidInput("an alert needs labels or a fingerprint", field=f"{where}.labels")
        _check_time(item, "startsAt", where)
        ends_at = _check_time(item, "endsAt", where)
        # Alertmanager writes the zero time (year 1) for "no end yet".
        ended = ends_at is not None and ends_at.year > 1 and ends_at <= now
        resolved = status == "resolved" or ended
        merged = {**common, **labels}
        key = clean(fingerprint, DEDUP_KEY_LIMIT) if fingerprint else digest_key(merged)
        signals.append(
            Signal(
                action=Action.RESOLVE if resolved else Action.TRIGGER,
                dedup_key=key,
                summary=summary_text(_summary(merged, annotations)),
                severity=severity_from(merged.get("severity"), Severity.ERROR),
                source=clean(merged.get("instance") or merged.get("job") or source_name, 255),
                labels=merged,
                details={
                    "annotations": annotations,
                    **{
                        k: item[k]
                        for k in ("startsAt", "endsAt", "generatorURL", "silenceURL")
                        if isinstance(item.get(k), str)
                    },
                },
                raw={"alert": item, **group},
            )
        )
    return signals


def parse_webhook(data: Any, *, now: datetime) -> list[Signal]:
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    version = data.get("version")
    if version is not None and str(version) != "4":
        raise InvalidInput(
            f"payload version {version!r} is not supported; Alertmanager sends version 4",
            field="version",
        )
    return alert_signals(data, now=now, source_name="alertmanager")
