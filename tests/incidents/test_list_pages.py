"""The incidents list, page after page: by offset, or after the last incident seen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import TokenScope
from takepoint.incidents import service as incidents
from takepoint.incidents import web
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import Urgency
from tests.factories import login, make_token
from tests.incidents.world import World, build_world


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    """Seven incidents; the third and fourth open at the same moment (ties go by id)."""
    world = build_world(session, clock)
    start = clock.now() - timedelta(hours=10)
    for n, minutes in enumerate([0, 10, 20, 20, 30, 40, 50], start=1):
        incident = incidents.open_incident(
            session,
            service=world.app_server,
            title=f"incident {n}",
            urgency=Urgency.HIGH,
            source=IncidentSource.WEB,
            now=start + timedelta(minutes=minutes),
        )
        if n % 2:
            incidents.resolve(
                session, incident=incident, user=world.sam, note="ok", now=clock.now()
            )
    session.commit()
    return world


def _titles(client: TestClient, token: str, query: str) -> list[str]:
    response = client.get(
        f"/api/v1/incidents?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return [row["title"] for row in response.json()]


def test_it_pages_by_offset_and_after_the_last_incident_alike(
    client: TestClient, session: Session, clock: FakeClock, world: World
) -> None:
    token = make_token(session, clock, world.morgan, TokenScope.READ)
    newest_first = [f"incident {n}" for n in (7, 6, 5, 4, 3, 2, 1)]

    by_offset = [_titles(client, token, f"limit=3&offset={o}") for o in (0, 3, 6)]
    by_cursor = [_titles(client, token, "limit=3")]
    while len(by_cursor[-1]) == 3:
        last = by_cursor[-1][-1].split()[-1]
        by_cursor.append(_titles(client, token, f"limit=3&before={last}"))

    assert by_offset == [newest_first[0:3], newest_first[3:6], newest_first[6:]]
    assert by_cursor == by_offset


def test_it_keeps_the_filters_on_every_page(
    client: TestClient, session: Session, clock: FakeClock, world: World
) -> None:
    token = make_token(session, clock, world.morgan, TokenScope.READ)

    assert _titles(client, token, "state=resolved&limit=2&before=5") == ["incident 3", "incident 1"]
    assert _titles(client, token, "open=true&limit=5&before=6") == ["incident 4", "incident 2"]
    assert _titles(client, token, "service=app-server&limit=2&offset=5") == [
        "incident 2",
        "incident 1",
    ]


def test_it_names_an_unknown_incident_to_page_after(
    client: TestClient, session: Session, clock: FakeClock, world: World
) -> None:
    token = make_token(session, clock, world.morgan, TokenScope.READ)

    response = client.get(
        "/api/v1/incidents?before=999", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "no incident #999", "field": "before"}


def test_the_page_links_to_older_incidents_when_it_is_full(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "LIST_PAGE", 3)
    login(client, world.morgan)

    first = client.get("/incidents?view=all")
    assert "incident 5" in first.text and "incident 4" not in first.text
    assert 'href="/incidents?view=all&amp;before=5"' in first.text

    last = client.get("/incidents?view=all&before=2")
    assert "incident 1" in last.text and "Older incidents" not in last.text
