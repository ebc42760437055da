"""The OpenAPI document describes the answers the server really gives: Takepoint's error model,
the errors each operation can give, the bodies the ingest endpoints read, and the content types
of the answers that are not JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import TokenScope
from takepoint.lib.clock import FakeClock
from tests.accounts.test_role_matrix import _required_role, _routes
from tests.factories import make_token, make_user

ERROR = {"$ref": "#/components/schemas/Error"}
# The document does not depend on the database.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_json_error_is_takepoints_error_model(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    document = client.get("/api/openapi.json").json()
    wrong = [
        f"{method} {path} {status}"
        for method, path, operation in _operations(document)
        for status, response in operation["responses"].items()
        if status >= "400"
        and "application/json" in response.get("content", {})
        and response["content"]["application/json"]["schema"] != ERROR
        and path not in ("/v2/enqueue", "/healthz")  # bodies of their own, as declared
    ]
    assert wrong == []
    assert "HTTPValidationError" not in document["components"]["schemas"]
    # ...and it is what the errors really look like.
    model = document["components"]["schemas"]["Error"]["properties"]
    token = make_token(session, clock, make_user(session, clock), TokenScope.READ)
    for path, status in (("/api/v1/incidents/x", 422), ("/api/v1/incidents/9", 404)):
        refused = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == status, path
        assert isinstance(refused.json()["detail"], str) and set(refused.json()) <= set(model)


def test_operations_that_need_a_role_document_the_errors_they_can_give(
    app: FastAPI, client: TestClient
) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    missing = []
    for method, path, route in _routes(app):
        if not route.include_in_schema or _required_role(route) is None:
            continue
        operation = paths[path][method.lower()]
        expected = {"401", "403"}
        if "{" in path:
            expected |= {"404", "422"}
        if method not in ("GET", "HEAD"):
            expected.add("409")
        if "requestBody" in operation:
            expected.add("400")
        if lacking := expected - set(operation["responses"]):
            missing.append(f"{method} {path}: {sorted(lacking)}")
        if operation.get("security") != [{"bearerToken": []}]:
            missing.append(f"{method} {path}: no bearer token security")
    assert missing == []


def test_the_ingest_endpoints_declare_what_they_read_and_answer(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    enqueue = paths["/v2/enqueue"]["post"]
    event = enqueue["requestBody"]["content"]["application/json"]["schema"]
    assert event["required"] == ["routing_key", "event_action"]
    assert event["properties"]["event_action"]["enum"] == ["trigger", "acknowledge", "resolve"]
    assert set(enqueue["responses"]) == {"202", "400", "413", "429", "503"}
    for path in ("/integrations/{key}/{kind}", "/integrations/{kind}"):
        webhook = paths[path]["post"]
        assert "application/json" in webhook["requestBody"]["content"], path
        assert {"200", "400", "404", "413", "415", "429", "503"} <= set(webhook["responses"])
    assert "401" in paths["/integrations/{kind}"]["post"]["responses"]
    for path in ("/ping/{key}", "/ping/{key}/{action}"):
        assert "text/plain" in paths[path]["post"]["requestBody"]["content"], path
        for method in ("get", "post"):
            answers = paths[path][method]["responses"]
            assert list(answers["200"]["content"]) == ["text/plain"], (method, path)
            assert list(answers["404"]["content"]) == ["text/plain"], (method, path)
    assert "400" in paths["/ping/{key}/{action}"]["get"]["responses"]


def test_answers_that_are_not_json_say_what_they_are(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]

    def types(path: str, status: str = "200") -> set[str]:
        return set(paths[path]["get"]["responses"][status]["content"])

    assert types("/metrics") == {"text/plain"}
    # The test client is no allowed network; the live server's loopback address is.
    assert client.get("/metrics").status_code == 403
    assert {"401", "403"} <= set(paths["/metrics"]["get"]["responses"])
    assert types("/api/v1/timeline/digests") == {"application/x-ndjson"}
    assert types("/api/v1/incidents/{incident_id}/report") == {
        "application/json",
        "text/markdown",
        "text/html",
    }
    for path in (
        "/api/v1/incidents/{incident_id}/evidence/{evidence_id}/content",
        "/api/v1/tickets/{ticket_id}/files/{file_id}/content",
    ):
        assert {"image/png", "application/pdf", "text/plain"} <= types(path), path
        assert "application/json" not in types(path), path
    assert "503" in paths["/healthz"]["get"]["responses"]
    for path in ("/api/v1/incidents/{incident_id}/evidence", "/api/v1/tickets/{ticket_id}/files"):
        assert {"413", "415"} <= set(paths[path]["post"]["responses"]), path


def test_reading_the_document_twice_gives_the_same_document(client: TestClient) -> None:
    first = client.get("/api/openapi.json").json()
    assert client.get("/api/openapi.json").json() == first
    assert re.fullmatch(r"3\.1\.\d+", first["openapi"])
