"""A message's acknowledge and resolve links die with their person's account as it was, and
act once: deactivation, a new role or a new password refuses them, and so does a second use,
even after the incident is reopened or when two clicks race each other."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope, User
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident, IncidentState
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.timeline.models import EntryKind, TimelineEntry
from tests.factories import PASSWORD, login, make_token, make_user
from tests.incidents.world import Paged, World, build_world, page_sam
from tests.livesite import serve

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


@pytest.fixture
def paged(db: Database, session: Session, clock: FakeClock, world: World) -> Paged:
    return page_sam(db, session, clock, world)


def _admin_headers(session: Session, clock: FakeClock) -> dict[str, str]:
    admin = make_user(session, clock, role=Role.ADMIN, name="Ada Admin")
    return {"Authorization": f"Bearer {make_token(session, clock, admin, TokenScope.WRITE)}"}


def _change_user(
    client: TestClient, session: Session, clock: FakeClock, user: User, **change: object
) -> None:
    response = client.patch(
        f"/api/v1/users/{user.id}", json=change, headers=_admin_headers(session, clock)
    )
    assert response.status_code == 200, response.text


def _state(session: Session, incident_id: int) -> IncidentState:
    session.expire_all()
    incident = session.get(Incident, incident_id)
    assert incident is not None
    return incident.state


def _csrf(page_text: str) -> str:
    match = CSRF.search(page_text)
    assert match, page_text
    return match.group(1)


def _acknowledgements(session: Session, incident_id: int) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(TimelineEntry)
        .where(
            TimelineEntry.chain == Incident.chain_of(incident_id),
            TimelineEntry.kind == EntryKind.ACKNOWLEDGED,
        )
    )
    return count or 0


def _another_spelling(path: str) -> str:
    # The signature's last base64 character carries two bits the decoder drops: flipping one
    # spells the same token differently, and it still verifies.
    last = path[-1]
    return path[:-1] + _BASE64URL[_BASE64URL.index(last) ^ 1]


def test_it_refuses_a_deactivated_persons_link_in_the_browser(
    client: TestClient, session: Session, clock: FakeClock, world: World, paged: Paged
) -> None:
    page = client.get(paged.acknowledge)  # opened while Sam still works here
    assert page.status_code == 200
    _change_user(client, session, clock, world.sam, is_active=False)

    refused = client.post(paged.acknowledge, data={"csrf_token": _csrf(page.text)})
    assert refused.status_code == 410
    assert "This link is no longer valid: Sam Okafor&#39;s account has been deactivated" in (
        refused.text
    )
    assert _state(session, paged.incident_id) is IncidentState.TRIGGERED

    again = client.get(paged.acknowledge)
    assert again.status_code == 410
    assert "account has been deactivated" in again.text
    assert "Theatre app down" not in again.text
    assert f'action="{paged.acknowledge}"' not in again.text


def test_it_refuses_a_deactivated_persons_link_to_a_direct_post(
    client: TestClient, session: Session, clock: FakeClock, world: World, paged: Paged
) -> None:
    _change_user(client, session, clock, world.sam, is_active=False)
    client.cookies.clear()  # no cookies and no page first: what a script would send
    refused = client.post(paged.resolve, data={"note": "restarted it"})
    assert refused.status_code == 410
    assert "account has been deactivated" in refused.text
    assert _state(session, paged.incident_id) is IncidentState.TRIGGERED


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN])
def test_it_refuses_a_link_once_its_persons_role_changes(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    world: World,
    paged: Paged,
    role: Role,
) -> None:
    page = client.get(paged.acknowledge)
    _change_user(client, session, clock, world.sam, role=role.value)

    refused = client.post(paged.acknowledge, data={"csrf_token": _csrf(page.text)})
    assert refused.status_code == 410
    assert "Sam Okafor&#39;s role has changed since it was sent" in refused.text
    assert _state(session, paged.incident_id) is IncidentState.TRIGGERED
    assert client.get(paged.acknowledge).status_code == 410


def test_it_refuses_a_link_once_its_person_changes_password(
    client: TestClient, session: Session, clock: FakeClock, world: World, paged: Paged
) -> None:
    page = client.get(paged.resolve)  # in Sam's browser, which he then signs in with
    token = login(client, world.sam)
    changed = client.post(
        "/me/password",
        data={"current": PASSWORD, "new": "a-brand-new-passphrase", "csrf_token": token},
    )
    assert changed.status_code == 303

    refused = client.post(paged.resolve, data={"csrf_token": _csrf(page.text), "note": "fixed"})
    assert refused.status_code == 410
    assert "Sam Okafor&#39;s password has changed since it was sent" in refused.text
    assert _state(session, paged.incident_id) is IncidentState.TRIGGERED
    assert "password has changed" in client.get(paged.resolve).text


def _resolve_then_reopen(
    client: TestClient, db: Database, clock: FakeClock, world: World, paged: Paged
) -> None:
    page = client.get(paged.resolve)
    done = client.post(paged.resolve, data={"csrf_token": _csrf(page.text), "note": "restarted"})
    assert done.status_code == 200
    assert f"Resolved #{paged.incident_id}." in done.text
    clock.advance(timedelta(minutes=10))
    with db.session() as s:
        incident = s.get(Incident, paged.incident_id)
        assert incident is not None
        priya = s.merge(world.priya)
        incidents.reopen(s, incident=incident, user=priya, reason="back again", now=clock.now())


def test_it_refuses_a_used_resolve_link_after_the_incident_is_reopened(
    client: TestClient,
    db: Database,
    session: Session,
    clock: FakeClock,
    settings: Settings,
    world: World,
    paged: Paged,
) -> None:
    used_at = clock.now()
    _resolve_then_reopen(client, db, clock, world, paged)
    assert _state(session, paged.incident_id) is IncidentState.ACKNOWLEDGED

    page = client.get(paged.resolve)
    assert page.status_code == 410
    when = used_at.astimezone(ZoneInfo(settings.default_time_zone))
    assert (
        f"This link was used by Sam Okafor on {when:%a %d %b %Y %H:%M %Z} to resolve this "
        "incident. A link works only once." in page.text
    )
    assert f'action="{paged.resolve}"' not in page.text  # no form to confirm with

    again = client.post(paged.resolve, data={"note": "replayed"})
    assert again.status_code == 410
    assert "This link was used by Sam Okafor" in again.text
    assert _state(session, paged.incident_id) is IncidentState.ACKNOWLEDGED


def test_it_refuses_a_used_link_spelled_another_way(
    client: TestClient, db: Database, session: Session, clock: FakeClock, world: World, paged: Paged
) -> None:
    _resolve_then_reopen(client, db, clock, world, paged)
    respelled = _another_spelling(paged.resolve)
    assert respelled != paged.resolve

    replay = client.post(respelled, data={"note": "replayed"})
    assert replay.status_code == 410
    assert "This link was used by Sam Okafor" in replay.text
    assert _state(session, paged.incident_id) is IncidentState.ACKNOWLEDGED


@contextmanager
def _incident_locked(db: Database, backend: str, incident_id: int) -> Iterator[None]:
    """On PostgreSQL, hold the incident's row so that both requests get as far as they can
    before either may act: the first then waits at the incident, the second behind the first.
    SQLite's writers take turns from their first statement, so there is nothing to hold."""
    if backend != "postgresql":
        yield
        return
    with db.engine.connect() as holder:
        transaction = holder.begin()
        holder.execute(select(Incident.id).where(Incident.id == incident_id).with_for_update())
        yield
        transaction.rollback()


def _wait_for_lock_waiters(db: Database, backend: str, count: int) -> None:
    if backend != "postgresql":
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 15
    with db.engine.connect() as watcher:
        while watcher.execute(waiting).scalar_one() < count:
            assert time.monotonic() < deadline, "the two requests never met at a lock"
            watcher.rollback()
            time.sleep(0.01)


def test_it_acts_once_when_two_posts_of_one_link_race(
    app: FastAPI, db: Database, session: Session, backend: str, paged: Paged
) -> None:
    start = threading.Barrier(2)
    answers: list[httpx.Response] = []
    errors: list[BaseException] = []

    def click(url: str) -> None:
        try:
            start.wait()
            with httpx.Client(timeout=30) as http:
                answers.append(http.post(url))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    with serve(app) as live:
        threads = [
            threading.Thread(target=click, args=(live.url + paged.acknowledge,)) for _ in range(2)
        ]
        with _incident_locked(db, backend, paged.incident_id):
            for thread in threads:
                thread.start()
            _wait_for_lock_waiters(db, backend, 2)
        for thread in threads:
            thread.join(30)

    assert errors == []
    statuses = sorted(answer.status_code for answer in answers)
    # PostgreSQL: the second waited at the mark and was refused when the first committed.
    # SQLite: the second started after the first had committed, and found the mark.
    assert statuses == ([200, 409] if backend == "postgresql" else [200, 410])
    refused = next(answer for answer in answers if answer.status_code != 200)
    assert "used" in refused.text
    assert _acknowledgements(session, paged.incident_id) == 1
    assert _state(session, paged.incident_id) is IncidentState.ACKNOWLEDGED
