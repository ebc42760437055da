"""The machine endpoints: where monitoring tools and jobs send signals.

They need no sign-in (the key or the ping uuid is the credential) and carry no CSRF check (no
browser cookie is involved). Each one reads its body within a limit, validates everything, and
only then hands a unit of work to the group writer; it answers after the commit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from takepoint.lib.errors import NotAuthenticated, NotFound, PayloadTooLarge, RateLimited
from takepoint.lib.numbers import is_digits
from takepoint.lib.secrets import hash_token
from takepoint.signals import ingest_alertmanager, ingest_grafana, schemas_ingest
from takepoint.signals.alerts import Outcome
from takepoint.signals.body import (
    EVENT_LIMIT,
    PING_BODY_LIMIT,
    WEBHOOK_LIMIT,
    BadJson,
    UnsupportedMediaType,
    check_content_type,
    parse_json,
    read_limited,
    read_truncated,
)
from takepoint.signals.heartbeats import Ping, record_ping
from takepoint.signals.ingest import Delivery, UnknownKey, store_deliveries, store_one
from takepoint.signals.ingest_pagerduty import InvalidEvent, parse_event
from takepoint.signals.models import IntegrationKind, PingKind
from takepoint.signals.ratelimit import DEFAULT_LIMITS, MISS_LIMITS, limiter_for
from takepoint.signals.writer import WriteFailed, WriterBusy, writer_for

router = APIRouter(tags=["signals in"])

WEBHOOK_KINDS = (IntegrationKind.ALERTMANAGER, IntegrationKind.GRAFANA, IntegrationKind.GENERIC)


async def _store(request: Request, delivery: Delivery, size: int) -> Outcome:
    outcome: Outcome = await writer_for(request.app).submit(
        lambda session, now: store_one(session, delivery, now),
        size=size,
        batch=store_deliveries,
        payload=delivery,
    )
    return outcome


# --- PagerDuty Events API v2 -------------------------------------------------------------------


def _pd_invalid(errors: list[str], status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
        status_code=status,
    )


def _pd_throttled(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {
            "status": "throttle event",
            "message": "Requests for this integration are arriving too quickly. "
            "Please retry later.",
        },
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


@router.post(
    "/v2/enqueue",
    status_code=202,
    summary="PagerDuty Events API v2: trigger, acknowledge or resolve an alert",
    openapi_extra=schemas_ingest.ENQUEUE,
)
async def pagerduty_enqueue(request: Request) -> Response:
    try:
        body = await read_limited(request, EVENT_LIMIT)
        check_content_type(request)
        data = parse_json(body)
    except PayloadTooLarge:
        return _pd_invalid(["Request body is larger than 512 KB"], status=413)
    except (BadJson, UnsupportedMediaType) as exc:
        return _pd_invalid([exc.message])
    try:
        event = parse_event(data)
    except InvalidEvent as exc:
        return _pd_invalid(exc.errors)
    delivery = Delivery.of(event.routing_key, IntegrationKind.PAGERDUTY, [event.signal])
    try:
        # Buckets are named by the key's digest, so no key stays in memory after its request.
        limiter_for(request.app, "events", DEFAULT_LIMITS).take(delivery.key_digest)
    except RateLimited as exc:
        return _pd_throttled(exc.retry_after)
    try:
        await _store(request, delivery, len(body))
    except UnknownKey:
        return _pd_invalid(["'routing_key' is not the key of a Takepoint PagerDuty integration"])
    except WriterBusy as exc:
        return _pd_throttled(exc.retry_after)
    except WriteFailed:
        return JSONResponse(
            {"status": "error", "message": "The event could not be stored; retry."},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.signal.dedup_key},
        status_code=202,
    )


# --- Alertmanager, Grafana and generic webhooks ------------------------------------------------


def _bearer(request: Request) -> str:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthenticated(
            "put the integration key in the URL (/integrations/<key>/<kind>) "
            "or send 'Authorization: Bearer <key>'"
        )
    return secret.strip()


async def _webhook(request: Request, key: str, kind: IntegrationKind) -> dict[str, Any]:
    body = await read_limited(request, WEBHOOK_LIMIT)
    check_content_type(request)
    data = parse_json(body)
    # Parsing needs the wall clock only to judge `endsAt`; the writer stamps its own time.
    now = request.app.state.clock.now()
    if kind is IntegrationKind.ALERTMANAGER:
        signals = ingest_alertmanager.parse_webhook(data, now=now)
    elif kind is IntegrationKind.GRAFANA:
        signals = ingest_grafana.parse_webhook(data, now=now)
    else:
        signals = []  # field paths are the integration's, known only after the lookup
    delivery = Delivery.of(key, kind, signals, data)
    limiter_for(request.app, "events", DEFAULT_LIMITS).take(delivery.key_digest)
    try:
        outcome = await _store(request, delivery, len(body))
    except UnknownKey as exc:
        hint = f"; it belongs to a {exc.actual.value} integration" if exc.actual else ""
        raise NotFound(f"no {kind.value} integration has that key{hint}") from None
    return {
        "status": "ok",
        "opened": outcome.opened,
        "updated": outcome.updated,
        "acknowledged": outcome.acknowledged,
        "resolved": outcome.resolved,
        "ignored": outcome.ignored,
    }


KindParam = Path(description="alertmanager, grafana or generic")


@router.post(
    "/integrations/{key}/{kind}",
    summary="Alertmanager, Grafana or generic webhook",
    openapi_extra=schemas_ingest.WEBHOOK,
)
async def webhook_with_key(
    key: str,
    request: Request,
    kind: IntegrationKind = KindParam,
) -> dict[str, Any]:
    if kind not in WEBHOOK_KINDS:
        raise NotFound(f"{kind.value} integrations do not post here")
    return await _webhook(request, key, kind)


@router.post(
    "/integrations/{kind}",
    summary="A webhook with the key in 'Authorization: Bearer <key>'",
    openapi_extra=schemas_ingest.WEBHOOK_WITH_BEARER,
)
async def webhook_with_bearer(
    request: Request, kind: IntegrationKind = KindParam
) -> dict[str, Any]:
    if kind not in WEBHOOK_KINDS:
        raise NotFound(f"{kind.value} integrations do not post here")
    return await _webhook(request, _bearer(request), kind)


# --- heartbeat pings ---------------------------------------------------------------------------


def _plain(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text, status_code=status, headers=headers)


def _ping_kind(action: str) -> tuple[PingKind, int | None] | None:
    if action in ("start", "fail", "log"):
        return PingKind(action), (1 if action == "fail" else None)
    if is_digits(action) and len(action) <= 3 and int(action) <= 255:
        code = int(action)
        return (PingKind.SUCCESS if code == 0 else PingKind.FAIL), code
    return None


async def _ping(request: Request, key: str, kind: PingKind, exit_status: int | None) -> Response:
    body, truncated = b"", False
    if request.method == "POST":
        body, truncated = await read_truncated(request, PING_BODY_LIMIT)
    remote = request.client.host if request.client else ""
    try:
        limiter_for(request.app, "pings", DEFAULT_LIMITS).take(hash_token(key))
    except RateLimited as exc:
        return _plain("rate limited", 429, {"Retry-After": str(exc.retry_after)})
    ping = Ping(
        key=key,
        kind=kind,
        exit_status=exit_status,
        body=body,
        body_truncated=truncated,
        method=request.method,
        remote_addr=remote,
        user_agent=request.headers.get("user-agent", ""),
    )
    # Known or not, every well-formed uuid takes the same path through the writer, so the
    # answer comes back in the same time either way.
    try:
        found = await writer_for(request.app).submit(
            lambda session, now: record_ping(session, ping, now), size=len(body)
        )
    except RateLimited as exc:
        return _plain("rate limited", 429, {"Retry-After": str(exc.retry_after)})
    except WriteFailed:
        return _plain("could not store the ping; retry", 503, {"Retry-After": "1"})
    if not found:
        try:
            limiter_for(request.app, "ping-misses", MISS_LIMITS).take(remote)
        except RateLimited as exc:
            return _plain("rate limited", 429, {"Retry-After": str(exc.retry_after)})
        return _plain("not found", 404)
    return _plain("OK", 200)


def _well_formed(key: str) -> bool:
    return len(key) == 36 and key.count("-") == 4 and all(c in "0123456789abcdef-" for c in key)


# One route per method, so each has its own OpenAPI operation.
@router.get(
    "/ping/{key}", summary="Heartbeat: the job succeeded", openapi_extra=schemas_ingest.PING
)
@router.post(
    "/ping/{key}",
    summary="Heartbeat: the job succeeded, with its output",
    openapi_extra=schemas_ingest.PING_WITH_BODY,
)
@router.head("/ping/{key}", include_in_schema=False)
async def ping_success(key: str, request: Request) -> Response:
    if not _well_formed(key.lower()):
        return _plain("not found", 404)
    return await _ping(request, key.lower(), PingKind.SUCCESS, None)


@router.get(
    "/ping/{key}/{action}",
    summary="Heartbeat: start, fail, log or exit status",
    openapi_extra=schemas_ingest.PING_ACTION,
)
@router.post(
    "/ping/{key}/{action}",
    summary="Heartbeat: start, fail, log or exit status",
    openapi_extra=schemas_ingest.PING_ACTION_WITH_BODY,
)
@router.head("/ping/{key}/{action}", include_in_schema=False)
async def ping_action(key: str, action: str, request: Request) -> Response:
    parsed = _ping_kind(action)
    if parsed is None:
        return _plain("invalid url format", 400)
    if not _well_formed(key.lower()):
        return _plain("not found", 404)
    return await _ping(request, key.lower(), *parsed)
