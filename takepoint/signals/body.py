"""Reading a sender's request body within a hard limit, before anything is parsed."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request

from takepoint.lib.errors import InvalidInput, PayloadTooLarge, TakepointError
from takepoint.lib.numbers import is_digits

EVENT_LIMIT = 512 * 1024
# Alertmanager sends a whole group in one request; a group of a few thousand alerts still fits.
WEBHOOK_LIMIT = 5 * 1024 * 1024
PING_BODY_LIMIT = 100 * 1024
# Deeper than any monitoring tool nests its details; the pages and the API must be able to show
# (and serialise) what was stored, and Pydantic stops at 255.
MAX_DEPTH = 32
# Content types a sender may label JSON with; curl -d sends form-urlencoded by default.
JSON_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded")


class UnsupportedMediaType(TakepointError):
    """Send the body as JSON (Content-Type: application/json)."""

    status_code = 415


class BadJson(InvalidInput):
    """The body is not valid JSON."""

    status_code = 400


def declared_length(request: Request) -> int | None:
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not is_digits(declared):
        raise BadJson("the Content-Length header is not a number", field="content-length")
    return int(declared)


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"the body is over the {limit // 1024} KB limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is over the {limit // 1024} KB limit")
    return bytes(body)


async def read_truncated(request: Request, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes of the body, and whether there was more (pings keep only the start)."""
    body = bytearray()
    truncated = False
    async for chunk in request.stream():
        room = limit - len(body)
        if len(chunk) > room:
            body += chunk[:room]
            truncated = True
        else:
            body += chunk
    return bytes(body), truncated


def check_content_type(request: Request) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type or content_type in JSON_TYPES or content_type.endswith("+json"):
        return
    raise UnsupportedMediaType(
        f"the body is {content_type}; send JSON with Content-Type: application/json",
        field="content-type",
    )


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadJson("the body is empty; send a JSON object", field="body")
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise BadJson(f"the body is not valid JSON: {exc}", field="body") from None
    too_deep = _too_deep(value)
    if too_deep is not None:
        raise BadJson(f"'{too_deep}' nests more than {MAX_DEPTH} levels deep", field=too_deep)
    if b"\\ud" in body.lower():
        # JSON may spell half a surrogate pair (\ud800): a string no database can store.
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise BadJson("the body holds an unpaired UTF-16 surrogate", field="body") from None
    return value


def _finite(text: str) -> float:
    # 1e400 is valid JSON but no float: Python reads it as infinity, which PostgreSQL refuses
    # and SQLite would store as null.
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is too large for a number")
    return number


def _too_deep(value: Any) -> str | None:
    """Where `value` nests deeper than MAX_DEPTH, named by its first two steps; None if not."""
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            return ".".join(path[:2]).replace(".[", "[") or "body"
        if isinstance(item, dict):
            stack.extend((v, depth + 1, (*path, str(k))) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, depth + 1, (*path, f"[{i}]")) for i, v in enumerate(item))
    return None


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and PostgreSQL would refuse to store them.
    raise ValueError(f"{name} is not a JSON value")
