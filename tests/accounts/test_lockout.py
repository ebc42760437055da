"""Failed sign-ins slow guessing without letting a stranger lock someone out.

Failures count per person and address; a person tried from many addresses, and an address
trying many people, meet higher limits; and a browser the person signed in with before is
held only to its own limit, so the on-call person can sign in while someone else guesses."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.service import ADDRESS_FACTOR, PERSON_FACTOR
from takepoint.lib.clock import FakeClock
from tests.factories import PASSWORD, csrf_token, make_user

MAX = 5  # the default login_max_failures


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000), follow_redirects=False)


def _sign_in(client: TestClient, email: str, password: str) -> int:
    # Signed out again after each sign-in; the browser keeps what else it was given.
    client.cookies.delete("tp_session")
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code


def test_failures_from_one_address_do_not_lock_the_person_out_elsewhere(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@example.org")
    stranger = _client(app, "203.0.113.9")
    for _ in range(MAX):
        assert _sign_in(stranger, dana.email, "guess-guess-guess") == 401
    assert _sign_in(stranger, dana.email, PASSWORD) == 429
    assert _sign_in(_client(app, "192.0.2.10"), dana.email, PASSWORD) == 303


def test_a_person_tried_from_many_addresses_is_locked_except_in_a_known_browser(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@example.org")
    phone = _client(app, "192.0.2.10")
    assert _sign_in(phone, dana.email, PASSWORD) == 303  # the browser becomes known
    for n in range(MAX * PERSON_FACTOR):
        assert _sign_in(_client(app, f"198.51.100.{n}"), dana.email, "guess-guess") == 401
    new_laptop = _client(app, "192.0.2.11")
    refused = new_laptop.post(
        "/login",
        data={"email": dana.email, "password": PASSWORD, "csrf_token": csrf_token(new_laptop)},
    )
    assert refused.status_code == 429
    assert "a browser you have signed in with before" in refused.text
    assert _sign_in(phone, dana.email, PASSWORD) == 303


def test_a_known_browser_of_someone_else_does_not_help(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@example.org")
    sam = make_user(session, clock, email="sam@example.org")
    shared = _client(app, "192.0.2.10")
    assert _sign_in(shared, sam.email, PASSWORD) == 303
    for _ in range(MAX):
        assert _sign_in(shared, dana.email, "guess-guess") == 401
    assert _sign_in(shared, dana.email, PASSWORD) == 429


def test_an_address_trying_many_people_is_locked(
    app: FastAPI, session: Session, clock: FakeClock
) -> None:
    dana = make_user(session, clock, email="dana@example.org")
    sprayer = _client(app, "203.0.113.9")
    for n in range(MAX * ADDRESS_FACTOR):
        assert _sign_in(sprayer, f"person{n}@example.org", "Winter2026!") == 401
    assert _sign_in(sprayer, dana.email, PASSWORD) == 429
