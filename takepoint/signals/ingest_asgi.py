"""The machine ingest endpoints, served ahead of the application's router.

Monitoring tools post thousands of events a second to three URL shapes. Through FastAPI each
request would cross routing over every router, dependency solving and the exception middleware
before reaching code that needs none of them, and that costs about as much CPU as storing the
event. This middleware recognises those URL shapes and calls the very same endpoint functions
of `ingest_api` directly, so bodies, limits, validation, status codes and answers stay exactly
theirs. Anything it does not recognise (another method, a malformed path, the Bearer-key
webhook) goes on to the router, which answers as before. It sits inside the metrics middleware
and names the matched route, so /metrics still counts these requests by route template.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from takepoint.lib.errors import TakepointError
from takepoint.lib.http_errors import error_response
from takepoint.signals import ingest_api

Handler = Callable[[Request, list[str]], Awaitable[Response]]
WEBHOOK_KINDS = {kind.value: kind for kind in ingest_api.WEBHOOK_KINDS}


async def _enqueue(request: Request, parts: list[str]) -> Response:
    return await ingest_api.pagerduty_enqueue(request)


async def _webhook(request: Request, parts: list[str]) -> Response:
    key, kind = parts
    try:
        answer = await ingest_api.webhook_with_key(key, request, WEBHOOK_KINDS[kind])
    except TakepointError as exc:
        return error_response(request, exc)
    return JSONResponse(answer)


async def _ping(request: Request, parts: list[str]) -> Response:
    if len(parts) == 1:
        return await ingest_api.ping_success(parts[0], request)
    return await ingest_api.ping_action(parts[0], parts[1], request)


def _route(path: str) -> BaseRoute:
    # The router's own route object, so metrics label the request with its template.
    for route in ingest_api.router.routes:
        if getattr(route, "path", None) == path:
            return route
    raise LookupError(path)


class IngestShortcut:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.enqueue = _route("/v2/enqueue")
        self.webhook = _route("/integrations/{key}/{kind}")
        self.ping = _route("/ping/{key}")
        self.ping_action = _route("/ping/{key}/{action}")

    def _match(self, method: str, path: str) -> tuple[Handler, BaseRoute, list[str]] | None:
        if path == "/v2/enqueue":
            return (_enqueue, self.enqueue, []) if method == "POST" else None
        if path.startswith("/integrations/") and method == "POST":
            parts = path[len("/integrations/") :].split("/")
            if len(parts) == 2 and parts[0] and parts[1] in WEBHOOK_KINDS:
                return _webhook, self.webhook, parts
            return None
        if path.startswith("/ping/") and method in ("GET", "POST"):
            parts = path[len("/ping/") :].split("/")
            if 1 <= len(parts) <= 2 and all(parts):
                return _ping, (self.ping if len(parts) == 1 else self.ping_action), parts
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self._match(scope["method"], scope["path"])
            if found is not None:
                handler, route, parts = found
                scope["route"] = route
                response = await handler(Request(scope, receive), parts)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
