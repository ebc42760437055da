"""The OpenAPI document, completed with the answers FastAPI cannot see in a route's signature.

FastAPI describes a route's success and a 422 in its own validation format. Every Takepoint
error leaves through `lib.http_errors` as `{"detail": ..., "field": ...}` instead, and which
errors an operation can give follows from how its route is declared: a role dependency means
401 and 403, a parameter or a body can name a row that does not exist (404), a body can be
unreadable (400), and a change can conflict with the current state (409). This adds those to
every operation at once, so a new route is described truthfully without saying anything.

The public machine endpoints answer in formats of their own (PagerDuty's, plain text): the
ingest routes declare theirs on the route, /healthz and /metrics have theirs below. Only their
422 of request validation, and errors declared without a body, are filled in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from takepoint.lib.csrf import SAFE_METHODS

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in words for a person."},
        "field": {
            "type": "string",
            "description": "The field or parameter it concerns, dotted, when there is one.",
        },
        "errors": {
            "type": "array",
            "description": "Every problem found, when request validation refused the request.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token, created under Profile → API tokens or POST /api/v1/tokens.",
}
DESCRIPTIONS = {
    "400": "The body could not be read, or the request cannot be carried out as sent.",
    "401": "No sign-in and no API token, or an unknown or revoked token.",
    "403": "The caller's role or the token's read-only scope does not allow this.",
    "404": "Something the request names does not exist.",
    "409": "The change conflicts with the current state; `detail` says how.",
    "413": "The body is larger than this operation accepts.",
    "415": "The body is of a type this operation does not accept.",
    "422": "A parameter or a field is not valid; `field` names it.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
    "503": "Takepoint could not store this just now; retry after `Retry-After` seconds.",
}
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"
_TEXT = {"schema": {"type": "string"}}
# /healthz and /metrics return a bare Response and check their callers themselves, so FastAPI
# sees neither Prometheus' text format, nor who may scrape, nor the 503 of a stopped engine.
OPERATIONS_ANSWERS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/metrics"): {
        "200": {
            "description": "Prometheus' text exposition format.",
            "content": {"text/plain": _TEXT},
        },
        "401": {"description": "A metrics token is set, and the request did not send it."},
        "403": {"description": "The caller's address is not in TAKEPOINT_METRICS_ALLOW."},
    },
    ("get", "/healthz"): {
        "503": {
            "description": "The database does not answer, or no engine cycled recently.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}


def describe_api(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi`: FastAPI's document (cached by FastAPI), completed."""
    generate = app.openapi
    # FastAPI's document as last generated, and the completed copy of it.
    made: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        generated = generate()
        if not made or made[0] is not generated:
            # A copy: the generated document shares dicts with the routes' `openapi_extra`.
            document = copy.deepcopy(generated)
            complete(document, signed_in_operations(app))
            made[:] = [generated, document]
        return made[1]

    return openapi


def signed_in_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every operation whose route needs a role."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and _needs_role(route):
            path = context.path_format or route.path_format
            found.update((method.lower(), path) for method in context.methods or ())
    return found


def _needs_role(route: APIRoute) -> bool:
    # `accounts.auth.requires` marks its dependencies; lib cannot import accounts to ask.
    def walk(dependant: Any) -> Iterator[bool]:
        yield getattr(dependant.call, "required_role", None) is not None
        for sub in dependant.dependencies:
            yield from walk(sub)

    return any(walk(route.dependant))


def complete(document: dict[str, Any], signed_in: set[tuple[str, str]]) -> None:
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components.setdefault("securitySchemes", {})["bearerToken"] = BEARER_SCHEME
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, answer in OPERATIONS_ANSWERS.get((method, path), {}).items():
                responses.setdefault(status, {}).update(answer)
            if (method, path) in signed_in:
                operation["security"] = [{"bearerToken": []}]
                for status in _errors_of(method, operation):
                    responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                _drop_placeholder(response)
                if status[0] in "45":
                    _use_error_model(response)
            operation["responses"] = dict(sorted(responses.items()))
    # FastAPI's own validation models are no longer referred to by any operation.
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)


def _errors_of(method: str, operation: dict[str, Any]) -> Iterator[str]:
    yield from ("401", "403")
    has_body = "requestBody" in operation
    if has_body:
        yield "400"
    if operation.get("parameters") or has_body:
        yield from ("404", "422")
    if method.upper() not in SAFE_METHODS:
        yield "409"


def _drop_placeholder(response: dict[str, Any]) -> None:
    # A route that returns a bare Response gets JSON of any shape from FastAPI; when the route
    # declares what it really sends, that placeholder is not one of its answers.
    content = response.get("content", {})
    if len(content) > 1 and content.get("application/json", {}).get("schema") == {}:
        del content["application/json"]


def _use_error_model(response: dict[str, Any]) -> None:
    if response.get("description") == "Validation Error":
        response["description"] = DESCRIPTIONS["422"]
    content = response.setdefault("content", {})
    if content and "application/json" not in content:
        return  # an answer in a format of the route's own, such as a ping's plain text
    schema = content.setdefault("application/json", {}).get("schema")
    if not schema or schema.get("$ref") == _FASTAPI_VALIDATION:
        content["application/json"]["schema"] = ERROR_REF
