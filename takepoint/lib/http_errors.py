"""One place that turns errors into responses: JSON for API clients, a page for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from takepoint.lib.errors import NotAuthenticated, RateLimited, TakepointError
from takepoint.lib.templating import render

log = logging.getLogger(__name__)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MACHINE_PREFIXES = ("/api/", "/v2/", "/ping/", "/healthz", "/metrics", "/integrations/")


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(MACHINE_PREFIXES) or "application/json" in request.headers.get(
        "accept", ""
    )


def _respond(request: Request, status: int, message: str, field: str | None = None) -> Response:
    if wants_json(request):
        body: dict[str, object] = {"detail": message}
        if field:
            body["field"] = field
        return JSONResponse(body, status_code=status)
    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def _field_of(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "request"


def allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path. Each method of a path is a route of its own,
    and the router's 405 names only the methods of the first route it tried. When templates
    overlap (`/tickets/bulk-state` and `/tickets/{ticket_id}`), the path is the resource of the
    template with the fewest parameters."""
    path = request.scope["path"]
    found: dict[str, int] = {}
    for route in iter_route_contexts(request.app.routes):
        regex, methods = getattr(route, "path_regex", None), route.methods or set()
        if regex is not None and (match := regex.match(path)):
            for method in methods:
                found[method] = min(found.get(method, len(match.groups())), len(match.groups()))
    fewest = min(found.values(), default=0)
    return [method for method in METHODS if found.get(method) == fewest]


def error_response(request: Request, exc: TakepointError) -> Response:
    """The answer to a TakepointError, for the handler and for endpoints served outside it."""
    response = _respond(request, exc.status_code, exc.message, exc.field)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotAuthenticated) and wants_json(request):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TakepointError)
    async def _takepoint_error(request: Request, exc: TakepointError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field_of(tuple(first.get("loc", ())))
        message = f"{field}: {first.get('msg', 'invalid')}"
        if wants_json(request):
            details = [
                {"field": _field_of(tuple(e.get("loc", ()))), "message": e.get("msg")}
                for e in errors
            ]
            return JSONResponse(
                {"detail": message, "field": field, "errors": details}, status_code=422
            )
        return _respond(request, 422, message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = _respond(request, exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        if exc.status_code == 405 and (allowed := allowed_methods(request)):
            response.headers["Allow"] = ", ".join(allowed)
        return response

    # A value the database cannot hold, such as an id past 64 bits in a URL: SQLite refuses
    # it before the query (OverflowError), PostgreSQL in it (DataError). The caller sent it.
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
        return _respond(request, 422, "a value in the request is out of range")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # The request boundary: log the traceback, tell the client nothing internal.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(request, 500, "internal error; the details are in the server log")
