"""A 405 names, in `Allow`, every method the resource answers, not only the first route's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PING = "/ping/0b6c8f5e-3d2a-4c1b-9e7f-5a4d3c2b1a09"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/me", "GET, PATCH"),
        ("POST", "/api/v1/users/1", "GET, PATCH"),
        ("PUT", PING, "GET, HEAD, POST"),
        ("DELETE", "/v2/enqueue", "POST"),
        # `/tickets/{ticket_id}` matches this path too, but bulk-assign is its own resource.
        ("DELETE", "/api/v1/tickets/bulk-assign", "POST"),
    ],
)
def test_it_names_every_method_of_the_resource(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    for other in allowed.split(", "):
        assert client.request(other, path).status_code != 405, other
