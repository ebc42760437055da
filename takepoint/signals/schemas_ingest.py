"""What the ingest endpoints accept and answer, for the OpenAPI document.

Their bodies are read within a hard limit and validated by hand, to give PagerDuty's exact
answers and to store a sender's JSON as it came, so FastAPI sees no model in their signatures.
These are the `openapi_extra` of their routes: the request body and every answer they give.
Errors without a body here are Takepoint's usual `{"detail", "field"}` (lib.openapi adds it).
"""

from __future__ import annotations

from typing import Any

from takepoint.signals.alerts import Action
from takepoint.signals.ingest_pagerduty import FIELD_LIMIT, ROUTING_KEY_LENGTH, SUMMARY_LIMIT
from takepoint.signals.models import Severity
from takepoint.signals.parsing import DEDUP_KEY_LIMIT

_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"text/plain": {"schema": {"type": "string"}}},
        **extra,
    }


def _json(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


_TEXT_FIELD = {"type": "string", "maxLength": FIELD_LIMIT}
PAGERDUTY_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {
            "type": "string",
            "minLength": ROUTING_KEY_LENGTH,
            "maxLength": ROUTING_KEY_LENGTH,
            "description": "The key of a Takepoint PagerDuty integration.",
        },
        "event_action": {"type": "string", "enum": [a.value for a in Action]},
        "dedup_key": {
            "type": "string",
            "maxLength": DEDUP_KEY_LIMIT,
            "description": "Required to acknowledge or resolve.",
        },
        "payload": {
            "type": "object",
            "description": "Required to trigger, with summary, source and severity.",
            "properties": {
                "summary": {"type": "string", "maxLength": SUMMARY_LIMIT},
                "source": _TEXT_FIELD,
                "severity": {"type": "string", "enum": [s.value for s in Severity]},
                "timestamp": {"type": "string", "format": "date-time"},
                "component": _TEXT_FIELD,
                "group": _TEXT_FIELD,
                "class": _TEXT_FIELD,
                "custom_details": {},
            },
        },
        "client": {"type": "string", "maxLength": 2000},
        "client_url": {"type": "string", "maxLength": 2000},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["href"],
                "properties": {"href": {"type": "string"}, "text": {"type": "string"}},
            },
        },
        "images": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["src"],
                "properties": {
                    "src": {"type": "string"},
                    "href": {"type": "string"},
                    "alt": {"type": "string"},
                },
            },
        },
    },
}
_PAGERDUTY_ANSWER = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {
        "status": {"type": "string"},
        "message": {"type": "string"},
        "dedup_key": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}

ENQUEUE: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PAGERDUTY_EVENT}},
    },
    "responses": {
        "202": _json("Stored: the event opened, updated or closed an alert.", _PAGERDUTY_ANSWER),
        "400": _json("The event is invalid; `errors` names each field.", _PAGERDUTY_ANSWER),
        "413": _json("The body is larger than 512 KB.", _PAGERDUTY_ANSWER),
        "429": _json("Throttled; retry later.", _PAGERDUTY_ANSWER, headers=_RETRY_AFTER),
        "503": _json("Not stored; retry.", _PAGERDUTY_ANSWER, headers=_RETRY_AFTER),
    },
}

_WEBHOOK_ANSWER = {
    "type": "object",
    "required": ["status", "opened", "updated", "acknowledged", "resolved", "ignored"],
    "properties": {
        "status": {"type": "string", "enum": ["ok"]},
        **{
            name: {"type": "integer", "minimum": 0}
            for name in ("opened", "updated", "acknowledged", "resolved", "ignored")
        },
    },
}
WEBHOOK: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The monitoring tool's own webhook JSON: Alertmanager's or Grafana's "
        "notification, or any object whose fields the generic integration's paths pick.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "responses": {
        "200": _json("Stored; what the alerts in it did.", _WEBHOOK_ANSWER),
        "400": {"description": "The body is not valid JSON."},
        "404": {"description": "No integration of this kind has that key."},
        "413": {"description": "The body is larger than 5 MB."},
        "415": {"description": "The body is not JSON."},
        "422": {"description": "The body is not a notification of this kind."},
        "429": {"description": "Too many requests for this key.", "headers": _RETRY_AFTER},
        "503": {"description": "Not stored; retry.", "headers": _RETRY_AFTER},
    },
}
WEBHOOK_WITH_BEARER: dict[str, Any] = {
    **WEBHOOK,
    "responses": {
        **WEBHOOK["responses"],
        "401": {"description": "No 'Authorization: Bearer <key>' header."},
    },
}

_PING_ANSWERS = {
    "200": _text("OK: the ping was recorded."),
    "404": _text("No heartbeat has that uuid."),
    "429": _text("Rate limited.", headers=_RETRY_AFTER),
    "503": _text("Not stored; retry.", headers=_RETRY_AFTER),
}
_PING_BODY = {
    "required": False,
    "description": "The job's output, any type; the first 100 KB are kept.",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}
PING: dict[str, Any] = {"responses": _PING_ANSWERS}
PING_WITH_BODY: dict[str, Any] = {"requestBody": _PING_BODY, "responses": _PING_ANSWERS}
_ACTION_ANSWERS = {**_PING_ANSWERS, "400": _text("The action is not start, fail, log or 0-255.")}
PING_ACTION: dict[str, Any] = {"responses": _ACTION_ANSWERS}
PING_ACTION_WITH_BODY: dict[str, Any] = {"requestBody": _PING_BODY, "responses": _ACTION_ANSWERS}
